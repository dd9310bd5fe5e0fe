import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { libvirtDomain } from '../../engine/vm/libvirt-domain.ts';
import { defineAndStart } from '../../engine/vm/libvirt-start.ts';
import type { VmLaunch } from '../../engine/vm/qemu-command.ts';
import { P2V_BIN } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const hasVirsh = (() => {
  try {
    execFileSync('virsh', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const p2v = (args: string[]) =>
  spawnSync(process.execPath, [P2V_BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

/** libvirt's own in-memory driver: real domain parsing and lifecycle, no daemon, nothing run. */
const TEST_DRIVER = 'test:///default';

const launch = (dir: string): VmLaunch => ({
  image: join(dir, 'disk.qcow2'),
  format: 'qcow2',
  boot: { kind: 'disk', mode: 'bios' },
  memoryMiB: 512,
  cpus: 1,
  serialLog: join(dir, 'serial.log'),
  kvm: false,
});

describe(
  'defining and starting the VM in libvirt',
  { skip: hasVirsh ? false : 'SKIPPED LOUDLY: no virsh (apt-get install libvirt-clients)' },
  () => {
    it('defines the domain and starts it, and says libvirt has it running', async () => {
      const dir = await tempDir();
      const file = join(dir, 'domain.xml');
      await writeFile(file, libvirtDomain('p2v-db01', launch(dir)));
      assert.equal(await defineAndStart(file, 'p2v-db01', TEST_DRIVER), 'running');
    });

    it('refuses a name libvirt already has, so an older definition is never started', async () => {
      const dir = await tempDir();
      const file = join(dir, 'domain.xml');
      // The test driver comes with a domain named "test".
      await writeFile(file, libvirtDomain('test', launch(dir)));
      await assert.rejects(defineAndStart(file, 'test', TEST_DRIVER), {
        code: 'VM_FAILED',
        message: /already has a domain named test: choose another --name/,
      });
    });

    it('names what libvirt refused in the domain, and starts nothing', async () => {
      const dir = await tempDir();
      const file = join(dir, 'domain.xml');
      await writeFile(file, libvirtDomain('p2v-db01', launch(dir)).replace('<vcpu>1', '<vcpu>x'));
      await assert.rejects(defineAndStart(file, 'p2v-db01', TEST_DRIVER), {
        code: 'VM_FAILED',
        message: /virsh could not define and start p2v-db01 at test:\/\/\/default: error:/,
      });
    });

    it('p2v vm start --define: the domain beside the image, the VM running in libvirt', async () => {
      const dir = await tempDir();
      const image = join(dir, 'disk.qcow2');
      const common = ['vm', 'start', '--image', image, '--boot', 'bios', '--name', 'p2v-db01'];
      const run = p2v([...common, '--define', '--libvirt-uri', TEST_DRIVER]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /p2v-db01 is running in libvirt \(test:\/\/\/default\)/);
      assert.match(await readFile(`${image}.xml`, 'utf8'), /<name>p2v-db01<\/name>/);
      const both = p2v([...common, '--define', '--run']);
      assert.equal(both.status, 2);
      assert.match(both.stderr, /choose one/);
      const nobody = p2v([
        ...common,
        '--define',
        '--libvirt-uri',
        `qemu+unix:///system?socket=${join(dir, 'no-libvirtd.sock')}`,
      ]);
      assert.equal(nobody.status, 1);
      assert.match(nobody.stderr, /libvirt does not answer at/);
    });

    it('says clearly when libvirt does not answer, and what to do instead', async () => {
      const dir = await tempDir();
      const file = join(dir, 'domain.xml');
      await writeFile(file, libvirtDomain('p2v-db01', launch(dir)));
      const uri = `qemu+unix:///system?socket=${join(dir, 'no-libvirtd.sock')}`;
      await assert.rejects(defineAndStart(file, 'p2v-db01', uri), {
        code: 'VM_FAILED',
        message:
          /libvirt does not answer at .*Start the VM here with --run instead, or define it where libvirtd runs: virsh define/,
      });
    });
  },
);
