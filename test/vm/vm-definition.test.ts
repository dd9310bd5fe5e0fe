import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';
import { libvirtDomain } from '../../engine/vm/libvirt-domain.ts';
import { directAppend, qemuArgs, type VmLaunch } from '../../engine/vm/qemu-command.ts';

const direct: VmLaunch = {
  image: '/srv/vm/disk.qcow2',
  format: 'qcow2',
  boot: {
    kind: 'direct',
    kernel: '/srv/vm/vmlinuz',
    initrd: '/srv/vm/initrd.img',
    append: directAppend('1b4e28ba-2fa1-11d2-883f-0016d3cca427'),
  },
  memoryMiB: 1024,
  cpus: 2,
  serialLog: '/srv/vm/serial.log',
  kvm: false,
};

describe('the VM definition', () => {
  it('qemu: virtio disk and network, serial console to a file, the guest’s kernel for a direct boot', () => {
    const args = qemuArgs(direct);
    const value = (flag: string) => args[args.indexOf(flag) + 1];
    assert.equal(value('-drive'), 'file=/srv/vm/disk.qcow2,format=qcow2,if=virtio,cache=writeback');
    assert.equal(value('-serial'), 'file:/srv/vm/serial.log');
    assert.equal(value('-kernel'), '/srv/vm/vmlinuz');
    assert.equal(
      value('-append'),
      'root=UUID=1b4e28ba-2fa1-11d2-883f-0016d3cca427 ro console=ttyS0,115200',
    );
    assert.equal(value('-machine'), 'q35,accel=tcg');
    const uefi = qemuArgs({
      ...direct,
      kvm: true,
      boot: { kind: 'disk', mode: 'uefi' },
      uefiFirmware: '/usr/share/OVMF/OVMF_CODE_4M.fd',
    });
    assert.ok(!uefi.includes('-kernel'));
    assert.ok(
      uefi.includes('if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd'),
    );
    assert.equal(uefi[uefi.indexOf('-machine') + 1], 'q35,accel=kvm');
  });

  it('libvirt: the same machine as a domain, names escaped', () => {
    const domain = libvirtDomain('db01 <migrated>', direct);
    assert.match(domain, /^<domain type="qemu">/);
    assert.match(domain, /<name>db01 &#60;migrated&#62;<\/name>/);
    assert.match(domain, /<kernel>\/srv\/vm\/vmlinuz<\/kernel>/);
    assert.match(
      domain,
      /<driver name="qemu" type="qcow2"\/>\s*<source file="\/srv\/vm\/disk.qcow2"\/>\s*<target dev="vda" bus="virtio"\/>/,
    );
    assert.match(domain, /<serial type="file">\s*<source path="\/srv\/vm\/serial.log"\/>/);
    const opens = (domain.match(/<(?!\/)[a-z]+[^>]*[^/]>/g) ?? []).length;
    const closes = (domain.match(/<\/[a-z]+>/g) ?? []).length;
    assert.equal(opens, closes, 'every element is closed');
  });

  it('libvirt: the domain passes libvirt’s own schema for each way to boot', async (t) => {
    try {
      execFileSync('sh', ['-c', 'command -v virt-xml-validate && command -v xmllint'], {
        stdio: 'ignore',
      });
    } catch {
      t.skip(
        'SKIPPED LOUDLY: no virt-xml-validate (apt-get install libvirt-clients libxml2-utils)',
      );
      return;
    }
    const dir = await tempDir();
    const boots: VmLaunch['boot'][] = [
      direct.boot,
      { kind: 'disk', mode: 'bios' },
      { kind: 'disk', mode: 'uefi' },
    ];
    for (const [i, boot] of boots.entries()) {
      const file = join(dir, `domain-${i}.xml`);
      await writeFile(
        file,
        libvirtDomain('db01', { ...direct, boot, uefiFirmware: '/usr/share/OVMF/OVMF_CODE_4M.fd' }),
      );
      execFileSync('virt-xml-validate', [file, 'domain'], { stdio: 'ignore' });
    }
  });
});
