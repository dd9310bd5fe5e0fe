import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspectMachine } from '../../engine/inspection/inspect-machine.ts';
import { fixtureHost } from '../helpers/fixture-host.ts';

const VIRTIO = ['virtio_blk', 'virtio_scsi', 'virtio_net', 'virtio_pci'];

describe('inspection of captured machines', () => {
  it('Debian 12 on UEFI: virtio modules present but not loaded, not in the initramfs', async () => {
    const machine = await inspectMachine(VIRTIO, fixtureHost('debian-12'));
    assert.deepEqual(machine.os, {
      type: 'linux',
      id: 'debian',
      name: 'Debian GNU/Linux 12 (bookworm)',
      version: '12',
      kernel: '6.1.0-18-amd64',
      arch: 'x64',
    });
    assert.equal(machine.bootMode, 'uefi');
    assert.equal(machine.machineId, '3c1f1e9a5d0b4c3f8e2a7b6c5d4e3f21');
    assert.equal(machine.volumes[0]?.fsType, 'ext4');
    assert.equal(machine.disks[0]?.children[0]?.uuid, '6A1B-2C3D');
    assert.equal(machine.services.length, 5);
    const blk = machine.drivers.drivers.find((d) => d.name === 'virtio_blk');
    assert.deepEqual(
      { loaded: blk?.loaded, builtin: blk?.builtin, inInitramfs: blk?.inInitramfs },
      { loaded: false, builtin: false, inInitramfs: false },
    );
    assert.equal(
      blk?.version,
      '6.1.0-18-amd64',
      'an in-tree module without a version has the kernel’s',
    );
    const megaraid = machine.drivers.drivers.find((d) => d.name === 'megaraid_sas');
    assert.deepEqual(
      [megaraid?.loaded, megaraid?.inInitramfs, megaraid?.version],
      [true, true, '07.719.03.00-rc1'],
    );
    assert.equal(machine.drivers.initramfs?.tool, 'lsinitramfs');
    assert.ok(machine.drivers.drivers.some((d) => d.name === 'hv_vmbus' && !d.loaded));
    assert.deepEqual(machine.notes, []);
  });

  it('Ubuntu 22.04: virtio built into the kernel counts as in the initramfs', async () => {
    const machine = await inspectMachine(VIRTIO, fixtureHost('ubuntu-22.04'));
    assert.equal(machine.bootMode, 'bios');
    assert.equal(machine.os.version, '22.04');
    const blk = machine.drivers.drivers.find((d) => d.name === 'virtio_blk');
    assert.deepEqual([blk?.builtin, blk?.inInitramfs, blk?.file], [true, true, null]);
    assert.equal(machine.volumes[0]?.fsType, 'ext4', 'from lsblk, through LVM');
  });

  it('RHEL 8.9: falls back to the older lsblk columns, reads lsinitrd, .ko.xz modules', async () => {
    const host = fixtureHost('rhel-8.9');
    const machine = await inspectMachine(VIRTIO, host);
    assert.equal(host.calls.filter((c) => c.startsWith('lsblk')).length, 2);
    assert.equal(machine.disks[0]?.children[1]?.children[0]?.mountpoints[0], '/');
    assert.equal(machine.drivers.initramfs?.tool, 'lsinitrd');
    const blk = machine.drivers.drivers.find((d) => d.name === 'virtio_blk');
    assert.deepEqual([blk?.loaded, blk?.inInitramfs], [false, true]);
    assert.equal(machine.drivers.drivers.find((d) => d.name === 'bnx2x')?.version, '1.713.36-0');
    assert.ok(machine.services.some((s) => s.name === 'oracle-xe-21c.service'));
  });

  it('Windows Server 2016, 2019, 2022: OS, firmware, drivers with versions, safety', async () => {
    const w2016 = await inspectMachine([], fixtureHost('windows-2016'));
    assert.deepEqual(
      [w2016.os.type, w2016.os.id, w2016.os.name, w2016.os.version, w2016.bootMode],
      ['windows', 'windows-server', 'Windows Server 2016 Standard', '10.0.14393', 'bios'],
    );
    assert.equal(w2016.disks[0]?.partitionTable, 'dos');
    assert.equal(w2016.volumes[0]?.mountpoint, 'C:\\');
    assert.equal(w2016.drivers.drivers.find((d) => d.name === 'megasas2i')?.version, '6.714.18.0');
    assert.equal(
      w2016.services.find((s) => s.name === 'MSSQLSERVER')?.stopCommand,
      'sc.exe stop "MSSQLSERVER"',
    );

    const w2019 = await inspectMachine([], fixtureHost('windows-2019'));
    assert.equal(w2019.bootMode, 'uefi');
    assert.equal(w2019.safety.hibernation, 'fast-startup');
    assert.deepEqual(w2019.safety.encryptedVolumes, []);
    assert.equal(w2019.drivers.drivers.find((d) => d.name === 'pvscsi')?.version, '1.3.10.0');
    assert.equal(w2019.network[1]?.mac, '98:f2:b3:11:22:34');

    const w2022 = await inspectMachine([], fixtureHost('windows-2022'));
    assert.deepEqual(w2022.safety, { hibernation: 'off', encryptedVolumes: ['C:'] });
    const viostor = w2022.drivers.drivers.find((d) => d.name === 'viostor');
    assert.deepEqual(
      [viostor?.version, viostor?.loaded, viostor?.provider],
      ['100.91.104.21700', false, 'Red Hat, Inc.'],
    );
  });
});
