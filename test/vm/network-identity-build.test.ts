import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseNetworkManager } from '../../engine/network/network-manager.ts';
import type { BuiltImage } from '../../shared/vm-image.ts';
import { SMALL_ROOT_PLAN, SMALL_ROOT_UUID } from '../helpers/disk-plans.ts';
import { P2V_BIN } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const missing = ['sfdisk', 'mke2fs', 'debugfs'].filter((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`]);
    return false;
  } catch {
    return true;
  }
});

const hasNmcli = ((): boolean => {
  try {
    execFileSync('sh', ['-c', 'command -v nmcli']);
    return true;
  } catch {
    return false;
  }
})();

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/network/${name}`, import.meta.url));
const bootFixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/boot/${name}`, import.meta.url));

/** A tree copied from a fixture, and `p2v vm build` of it into a one-partition raw image. */
async function buildRig(from: string) {
  const base = await tempDir();
  const tree = join(base, 'tree');
  await cp(fixture(from), tree, { recursive: true });
  const plan = join(base, 'plan.json');
  await writeFile(plan, JSON.stringify(SMALL_ROOT_PLAN));
  const image = join(base, 'vm.raw');
  const vmBuild = (extra: string[]): string =>
    execFileSync(
      process.execPath,
      [P2V_BIN, 'vm', 'build', '--tree', tree, '--plan', plan, '--out', image]
        .concat(['--format', 'raw'])
        .concat(extra),
      { encoding: 'utf8' },
    );
  /** What `p2v vm build` prints, and what it built (a second build, with --json). */
  const build = (extra: string[]): { said: string; built: BuiltImage } => ({
    said: vmBuild(extra),
    built: JSON.parse(vmBuild([...extra, '--json'])) as BuiltImage,
  });
  /** A debugfs request on the image's filesystem, which tells what is really there. */
  const debugfs = (built: BuiltImage, request: string): string =>
    execFileSync('debugfs', ['-R', request, `${image}?offset=${built.partitions[0]?.startBytes}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  return { tree, build, debugfs };
}

describe(
  "the VM image takes over the source's identity: its network, its devices, its SELinux labels",
  {
    skip:
      missing.length > 0 &&
      `SKIPPED LOUDLY: missing ${missing.join(', ')} (apt-get install fdisk e2fsprogs)`,
  },
  () => {
    it('p2v vm build --nic-mac: the old name pinned, MAC matches rewritten, in the image only', async (t) => {
      const { tree, build, debugfs } = await buildRig('rhel-9');
      const keyfile = '/etc/NetworkManager/system-connections/ens192.nmconnection';
      // As NetworkManager writes it and insists on: it ignores a keyfile others can read.
      await chmod(join(tree, keyfile), 0o600);
      await cp(fixture('centos-6/etc/udev'), join(tree, 'etc/udev'), { recursive: true });
      const { said, built } = build(['--nic-mac', '52:54:00:AA:00:01']);
      assert.match(said, /network: the VM's card must have the MAC 52:54:00:aa:00:01/);
      assert.match(said, /changed: \/etc\/systemd\/network\/10-p2v-ens192\.link/);
      assert.match(
        said,
        /changed: \/etc\/NetworkManager\/system-connections\/ens192\.nmconnection/,
      );
      assert.equal(built.network?.vmMac, '52:54:00:aa:00:01');
      const cat = (path: string): string => debugfs(built, `cat ${path}`);
      assert.match(
        cat('/etc/systemd/network/10-p2v-ens192.link'),
        /MACAddress=52:54:00:aa:00:01\n\n\[Link\]\nName=ens192/,
      );
      assert.match(cat(keyfile), /mac-address=52:54:00:AA:00:01/);
      assert.match(debugfs(built, `stat ${keyfile}`), /Mode:\s+0600\b/, 'the keyfile stays 0600');
      assert.match(
        cat('/etc/udev/rules.d/70-persistent-net.rules'),
        /00:0c:29:11:22:33/,
        'a rule for another card stays',
      );
      // The received tree is the source's mirror: it keeps the source's files.
      assert.match(await readFile(join(tree, keyfile), 'utf8'), /mac-address=00:50:56:AB:CD:EF/);

      // NetworkManager itself reads the VM's keyfile (it drops a value it cannot parse without
      // a word, so what it writes back is compared): the VM's card, the source's address.
      if (hasNmcli) {
        const understood = execFileSync(
          'nmcli',
          ['--offline', 'connection', 'modify', 'connection.autoconnect', 'yes'],
          { input: cat(keyfile), encoding: 'utf8' },
        );
        const [card] = parseNetworkManager(understood, keyfile);
        assert.deepEqual(
          card && [card.name, card.mac, card.method, card.addresses, card.gateway, card.dns],
          [
            'ens192',
            '52:54:00:aa:00:01',
            'static',
            ['192.0.2.10/24'],
            '192.0.2.1',
            ['192.0.2.53', '192.0.2.54'],
          ],
        );
      }

      const untouched = build(['--no-network-identity']).built;
      assert.equal(untouched.network, undefined);
      assert.match(debugfs(untouched, `cat ${keyfile}`), /00:50:56:AB:CD:EF/);
      if (!hasNmcli)
        t.skip(
          'SKIPPED LOUDLY (half): no nmcli to read the keyfile (apt-get install network-manager)',
        );
    });

    it("boot files that name the source's devices name the VM's filesystems by UUID, in the image only", async () => {
      const { tree, build, debugfs } = await buildRig('ubuntu-22.04');
      await cp(bootFixture('ubuntu-22.04'), tree, { recursive: true });
      // As grub-mkconfig leaves it: read-only, which the rewrite must not widen.
      await chmod(join(tree, 'boot/grub/grub.cfg'), 0o444);
      const { said, built } = build(['--no-network-identity']);
      assert.match(
        said,
        /Boot files: \/etc\/fstab: \/dev\/disk\/by-id\/dm-uuid-LVM-\S+ \/ → UUID=\S+ \//,
      );
      assert.match(
        said,
        /Boot files: \/boot\/grub\/grub\.cfg: root=\/dev\/mapper\/ubuntu--vg-ubuntu--lv → root=UUID=/,
      );
      assert.ok(built.deviceReferences?.some((c) => c.file === '/etc/fstab'));
      assert.match(
        debugfs(built, 'cat /etc/fstab'),
        new RegExp(`^UUID=${SMALL_ROOT_UUID} / ext4 defaults 0 1$`, 'm'),
      );
      assert.match(
        debugfs(built, 'cat /boot/grub/grub.cfg'),
        new RegExp(`root=UUID=${SMALL_ROOT_UUID} ro`),
      );
      assert.match(debugfs(built, 'stat /boot/grub/grub.cfg'), /Mode:\s+0444\b/);
      assert.match(
        await readFile(join(tree, 'etc/fstab'), 'utf8'),
        /^\/dev\/disk\/by-id\/dm-uuid-LVM/m,
      );
    });

    it('an SELinux guest relabels at first boot when its files came without labels or the build wrote files for the VM; labelled and untouched, not', async (t) => {
      const { tree, build, debugfs } = await buildRig('rhel-8');
      await mkdir(join(tree, 'etc/selinux'), { recursive: true });
      await writeFile(
        join(tree, 'etc/selinux/config'),
        'SELINUX=enforcing\nSELINUXTYPE=targeted\n',
      );
      await writeFile(join(tree, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
      const unlabelled = build(['--no-network-identity']);
      assert.match(
        unlabelled.said,
        /runs SELinux \(enforcing\) but its files came without labels \(.*\/etc\/passwd.*\/\.autorelabel/,
      );
      assert.equal(unlabelled.built.selinuxRelabel?.mode, 'enforcing');
      assert.match(debugfs(unlabelled.built, 'stat /.autorelabel'), /Type: regular/);
      if (process.getuid?.() !== 0) {
        t.skip('SKIPPED LOUDLY (half): setting security.selinux labels needs root');
        return;
      }
      for (const path of ['etc/passwd', 'etc/selinux/config'])
        execFileSync('setfattr', [
          '-n',
          'security.selinux',
          '-v',
          'system_u:object_r:etc_t:s0',
          join(tree, path),
        ]);
      const labelled = build(['--no-network-identity']);
      assert.equal(labelled.built.selinuxRelabel, undefined);
      assert.doesNotMatch(labelled.said, /autorelabel/);
      assert.doesNotMatch(debugfs(labelled.built, 'stat /.autorelabel'), /Type: regular/);

      // Files the build writes for the VM (here its card's name pin and the rewritten HWADDR)
      // came with no label: an enforcing guest would deny them, so it relabels after all.
      const written = build(['--nic-mac', '52:54:00:AA:00:02']);
      assert.deepEqual(written.built.selinuxRelabel?.written.sort(), [
        '/etc/sysconfig/network-scripts/ifcfg-ens192',
        '/etc/systemd/network/10-p2v-ens192.link',
      ]);
      assert.match(
        written.said,
        /files written for the VM, which no label came with \(\/etc\/sysconfig.*\/\.autorelabel/,
      );
      assert.match(debugfs(written.built, 'stat /.autorelabel'), /Type: regular/);
    });
  },
);
