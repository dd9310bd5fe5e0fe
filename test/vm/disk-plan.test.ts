import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { inspectMachine } from '../../engine/inspection/inspect-machine.ts';
import { planDisk } from '../../engine/vm/disk-plan.ts';
import { directRoot } from '../../engine/vm/plan-volumes.ts';
import { vmDiskCheck } from '../../engine/preflight/vm-disk-check.ts';
import type { BuiltImage } from '../../shared/vm-image.ts';
import { P2V_BIN } from '../helpers/agent-process.ts';
import { fixtureHost } from '../helpers/fixture-host.ts';
import { SMALL_ROOT_PLAN, SMALL_ROOT_UUID } from '../helpers/disk-plans.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const run = promisify(execFile);

describe('the VM disk plan from the source’s inspection', () => {
  it('Debian on UEFI: the EFI system partition and the root, labels and UUIDs kept', async () => {
    const plan = planDisk(await inspectMachine([], fixtureHost('debian-12')));
    assert.equal(plan.table, 'gpt');
    assert.deepEqual(
      plan.partitions.map((p) => [p.role, p.fsType, p.mountpoint, p.uuid]),
      [
        ['esp', 'vfat', '/boot/efi', '6A1B-2C3D'],
        ['filesystem', 'ext4', '/', '1b4e28ba-2fa1-11d2-883f-0016d3cca427'],
      ],
    );
    assert.equal(plan.partitions[0]?.sizeBytes, 536870912, 'the ESP keeps its size');
  });

  it('a root made on the whole disk (no partition table) becomes a partition, UUID kept', async () => {
    const machine = await inspectMachine([], fixtureHost('debian-12'));
    const wholeDisk = {
      name: 'vda',
      path: '/dev/vda',
      type: 'disk',
      sizeBytes: 20 * 1024 ** 3,
      fsType: 'ext4',
      label: 'root',
      uuid: '5c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5',
      partUuid: null,
      partitionTable: null,
      mountpoints: ['/'],
      usedBytes: 3 * 1024 ** 3,
      availableBytes: 16 * 1024 ** 3,
      children: [],
    };
    const plan = planDisk({ ...machine, bootMode: 'bios', disks: [wholeDisk] });
    // Where lsblk could not say the type (no udev in a container), the mount table does.
    const unprobed = planDisk({
      ...machine,
      bootMode: 'bios',
      disks: [{ ...wholeDisk, fsType: null }],
      volumes: [
        {
          device: '/dev/vda',
          mountpoint: '/',
          fsType: 'ext4',
          sizeBytes: 1,
          usedBytes: 1,
          availableBytes: 0,
        },
      ],
    });
    assert.deepEqual(
      unprobed.partitions.map((p) => p.fsType),
      [null, 'ext4'],
    );
    assert.deepEqual(
      plan.partitions.map((p) => [p.role, p.fsType, p.mountpoint, p.uuid]),
      [
        ['bios-boot', null, null, null],
        ['filesystem', 'ext4', '/', wholeDisk.uuid],
      ],
    );
    assert.match(vmDiskCheck(plan).detail, /: \/ ext4 [\d.]+ GiB \(#2\)\.$/);
  });

  it('SLES on btrfs: the subvolumes SUSE mounts are planned in its filesystem, parents first, the root’s named; a bind-mounted folder is not one', async () => {
    const machine = await inspectMachine([], fixtureHost('sles-15-btrfs'));
    const root = machine.disks[0]?.children[1];
    assert.equal(root?.mountpoints[0], '/', 'the root first, though lsblk named /var');
    assert.ok(!root?.mountpoints.includes('/export/ftp'));
    const plan = planDisk(machine);
    assert.deepEqual(
      plan.partitions.map((p) => [p.role, p.fsType, p.mountpoint]),
      [
        ['esp', 'vfat', '/boot/efi'],
        ['filesystem', 'btrfs', '/'],
        ['swap', 'swap', null],
      ],
    );
    assert.deepEqual(
      plan.partitions[1]?.subvolumes?.map((s) => `${s.path} ${s.mountpoint}`),
      [
        '@/.snapshots /.snapshots',
        '@/home /home',
        '@/opt /opt',
        '@/root /root',
        '@/srv /srv',
        '@/var /var',
        '@/usr/local /usr/local',
        '@/.snapshots/1/snapshot /',
        '@/boot/grub2/i386-pc /boot/grub2/i386-pc',
        '@/boot/grub2/x86_64-efi /boot/grub2/x86_64-efi',
      ],
    );
    const check = vmDiskCheck(plan);
    assert.equal(check.level, 'ok', check.detail);
    assert.match(check.detail, /subvol=@\/\.snapshots\/1\/snapshot → \//);
  });

  it('Ubuntu on BIOS with LVM: an MBR disk, the volume group and its logical volume kept by name', async () => {
    const machine = await inspectMachine([], fixtureHost('ubuntu-22.04'));
    const plan = planDisk(machine);
    assert.equal(plan.table, 'dos');
    assert.deepEqual(
      plan.partitions.map((p) => [p.role, p.mountpoint, p.fsType]),
      [
        ['filesystem', '/boot', 'ext4'],
        ['lvm', null, 'LVM2_member'],
      ],
    );
    const group = plan.partitions[1]?.volumeGroup;
    assert.equal(
      group?.name,
      'ubuntu-vg',
      'the device-mapper name ubuntu--vg-ubuntu--lv, unescaped',
    );
    assert.deepEqual(
      group?.logicalVolumes.map((lv) => [lv.name, lv.mountpoint, lv.fsType, lv.uuid]),
      [['ubuntu-lv', '/', 'ext4', '8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586']],
    );
    const lv = group?.logicalVolumes[0];
    assert.ok((lv?.sizeBytes ?? 0) >= 12884901888, 'room for what / uses');
    assert.ok(
      (plan.partitions[1]?.sizeBytes ?? 0) >= (lv?.sizeBytes ?? 0) + 4 * 1024 * 1024,
      'the physical volume holds the logical volume and its metadata',
    );
    assert.equal(
      directRoot(plan),
      'root=/dev/mapper/ubuntu--vg-ubuntu--lv rd.lvm.lv=ubuntu-vg/ubuntu-lv',
      'a direct boot names the root on its logical volume as the guest does, for either initramfs',
    );
    const flat = planDisk(machine, { flattenLvm: true });
    assert.deepEqual(
      flat.partitions.map((p) => [p.role, p.mountpoint, p.fsType]),
      [
        ['filesystem', '/boot', 'ext4'],
        ['filesystem', '/', 'ext4'],
      ],
    );
    assert.equal(directRoot(flat), 'root=UUID=8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586');
  });

  it('RHEL: XFS on LVM with swap is planned as it is; building it needs the guest’s own kernel, and says so', async () => {
    const machine = await inspectMachine([], fixtureHost('rhel-8.9'));
    const plan = planDisk(machine);
    assert.deepEqual(
      plan.partitions.map((p) => [p.role, p.mountpoint, p.fsType]),
      [
        ['filesystem', '/boot', 'xfs'],
        ['lvm', null, 'LVM2_member'],
      ],
    );
    assert.deepEqual(
      plan.partitions[1]?.volumeGroup?.logicalVolumes.map((lv) => [lv.name, lv.role, lv.fsType]),
      [
        ['root', 'filesystem', 'xfs'],
        ['swap', 'swap', 'swap'],
      ],
    );
    const base = await tempDir();
    const file = join(base, 'inspection.json');
    await writeFile(file, JSON.stringify(machine));
    const { stdout } = await run(process.execPath, [P2V_BIN, 'vm', 'plan', '--inspection', file]);
    await writeFile(join(base, 'plan.json'), stdout);
    await mkdir(join(base, 'tree'));
    const refused = await run(process.execPath, [
      P2V_BIN,
      'vm',
      'build',
      '--tree',
      join(base, 'tree'),
      '--plan',
      join(base, 'plan.json'),
      '--out',
      join(base, 'vm.qcow2'),
    ]).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(refused?.code, 2, 'a tree without a kernel cannot run the helper');
    assert.match(refused?.stderr ?? '', /no kernel with an initramfs in .*tree\/boot/);
    assert.ok(!existsSync(join(base, 'vm.qcow2.raw.partial')), 'nothing written');
  });

  it('a malformed plan file is a usage error naming the field, for vm build and migrate --vm', async () => {
    const base = await tempDir();
    const plan = join(base, 'plan.json');
    await writeFile(
      plan,
      JSON.stringify({ table: 'dos', bootMode: 'bios', partitions: [{ role: 'filesystem' }] }),
    );
    const refusal = (args: string[]) =>
      run(process.execPath, [P2V_BIN, ...args]).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
    const build = await refusal([
      'vm',
      'build',
      '--tree',
      base,
      '--plan',
      plan,
      '--out',
      join(base, 'vm.qcow2'),
    ]);
    assert.equal(build?.code, 2, 'vm build: exit 2');
    assert.match(build?.stderr ?? '', /disk plan .*plan\.json: partitions\.0\.sizeBytes/);
    // Refused before any connection: the target named here does not exist.
    const migrate = await refusal([
      'migrate',
      '--source',
      base,
      '--target',
      '127.0.0.1:9',
      '--token',
      't',
      '--fingerprint',
      'AB'.repeat(32),
      '--vm',
      'direct',
      '--vm-plan',
      plan,
      '--yes',
    ]);
    assert.equal(migrate?.code, 2, 'migrate --vm: exit 2');
    assert.match(migrate?.stderr ?? '', /--vm-plan .*plan\.json: partitions\.0\.sizeBytes/);
  });

  it('p2v vm build makes the image from a plan and says what it made', async () => {
    const base = await tempDir();
    const tree = join(base, 'tree');
    await mkdir(join(tree, 'etc'), { recursive: true });
    await writeFile(join(tree, 'etc/fstab'), `UUID=${SMALL_ROOT_UUID} / ext4 defaults 0 1\n`);
    await writeFile(join(base, 'plan.json'), JSON.stringify(SMALL_ROOT_PLAN));
    const vmBuild = (out: string, ...more: string[]) =>
      run(process.execPath, [
        P2V_BIN,
        'vm',
        'build',
        '--tree',
        tree,
        '--plan',
        join(base, 'plan.json'),
        '--out',
        join(base, out),
        ...more,
      ]);
    const { stdout } = await vmBuild('vm.qcow2', '--json');
    const image = JSON.parse(stdout) as BuiltImage;
    assert.equal(image.format, 'qcow2');
    assert.match(image.hash, /^[0-9a-f]{32}$/);
    assert.equal(image.partitions[0]?.startBytes, 1024 * 1024);
    // The copy left out /proc and /run entirely: the root still gets its mount points.
    execFileSync('qemu-img', ['convert', '-O', 'raw', image.path, join(base, 'check.raw')]);
    const listing = execFileSync(
      'debugfs',
      ['-R', 'ls -l /', `${join(base, 'check.raw')}?offset=${1024 * 1024}`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    for (const dir of ['proc', 'sys', 'dev', 'run', 'tmp'])
      assert.match(listing, new RegExp(`\\s${dir}\\n`));
    assert.match(listing, /41777 .* tmp\n/, '/tmp is world-writable and sticky');

    // For VMware a .vmx beside the vmdk; for Hyper-V the PowerShell that makes the VM.
    for (const [format, companion, expect] of [
      [
        'vmdk',
        'vm.vmx',
        /scsi0:0.fileName = "vm.vmdk"[\s\S]*firmware = "bios"|firmware = "bios"[\s\S]*scsi0:0.fileName = "vm.vmdk"/,
      ],
      ['vhdx', 'vm.hyperv.ps1', /New-VM -Name 'small-vm' -Generation 1 -MemoryStartupBytes 1024MB/],
    ] as const) {
      const { stdout: said } = await vmBuild(
        `vm.${format}`,
        '--format',
        format,
        '--name',
        'small-vm',
        '--memory',
        '1024',
        '--cpus',
        '1',
      );
      assert.match(
        said,
        new RegExp(companion.replace('.', '\\.')),
        `the ${format} build names its ${companion}`,
      );
      assert.match(await readFile(join(base, companion), 'utf8'), expect);
    }
  });
});
