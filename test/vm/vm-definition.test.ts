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
    append: directAppend('root=UUID=1b4e28ba-2fa1-11d2-883f-0016d3cca427'),
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
    // The firmware's network stacks are off: OVMF sent IPv6 frames with the VM's MAC otherwise.
    for (const stack of ['IPv4', 'IPv6'])
      assert.ok(
        uefi.includes(`name=opt/org.tianocore/${stack}Support,string=no`),
        `OVMF's ${stack} is off`,
      );
  });

  it('qemu and libvirt: on a bridge, the VM’s card joins it and the agent gets a second, restricted card', () => {
    const bridged: VmLaunch = {
      ...direct,
      mac: '52:54:00:aa:bb:cc',
      forward: { host: '127.0.0.1', hostPort: 40001, guestPort: 7443 },
      bridge: { name: 'br-lan', upScript: '/srv/vm,1/bridge-up.sh', agentMac: '52:54:00:11:22:33' },
    };
    const args = qemuArgs(bridged);
    const all = (flag: string) => args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));
    assert.deepEqual(all('-netdev'), [
      'tap,id=net0,script=/srv/vm,,1/bridge-up.sh,downscript=no',
      'user,id=agent0,restrict=on,hostfwd=tcp:127.0.0.1:40001-:7443',
    ]);
    assert.deepEqual(all('-device'), [
      'virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:cc',
      'virtio-net-pci,netdev=agent0,mac=52:54:00:11:22:33',
    ]);
    const domain = libvirtDomain('db01', bridged);
    assert.match(
      domain,
      /<interface type="bridge">\s*<source bridge="br-lan"\/>\s*<mac address="52:54:00:aa:bb:cc"\/>/,
    );
    assert.ok(!domain.includes('type="user"'), 'the rounds-only card is not in what the VM keeps');
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
    const bridged = libvirtDomain('db01', {
      ...direct,
      bridge: { name: 'br0', upScript: '/x', agentMac: '52:54:00:11:22:33' },
    });
    await writeFile(join(dir, 'bridged.xml'), bridged);
    execFileSync('virt-xml-validate', [join(dir, 'bridged.xml'), 'domain'], { stdio: 'ignore' });
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
