import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cpioNewc } from '../../engine/vm/cpio-newc.ts';
import { needsHelper } from '../../engine/vm/filesystem-helper.ts';
import { grubPrefix, guestModules } from '../../engine/vm/grub-boot.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { bootstrapOrder, isStaticElf } from '../../engine/vm/helper-initramfs.ts';
import { helperBuildScript } from '../../engine/vm/helper-script.ts';
import { mapperName, splitMapperName } from '../../engine/vm/plan-volumes.ts';
import { DiskPlan } from '../../shared/vm-image.ts';
import { P2VError } from '../../shared/errors.ts';

const MiB = 1024 * 1024;

/** The members of a newc archive, read back field by field as the kernel does. */
function readNewc(archive: Buffer): { name: string; mode: number; data: string }[] {
  const members = [];
  let at = 0;
  for (;;) {
    assert.equal(archive.toString('latin1', at, at + 6), '070701', `a newc header at ${at}`);
    const field = (i: number): number =>
      parseInt(archive.toString('latin1', at + 6 + i * 8, at + 14 + i * 8), 16);
    const [mode, size, nameSize] = [field(1), field(6), field(11)];
    const nameAt = at + 110;
    const name = archive.toString('latin1', nameAt, nameAt + nameSize - 1);
    const dataAt = Math.ceil((nameAt + nameSize) / 4) * 4;
    if (name === 'TRAILER!!!') return members;
    members.push({ name, mode, data: archive.toString('latin1', dataAt, dataAt + size) });
    at = Math.ceil((dataAt + size) / 4) * 4;
  }
}

const XFS_ON_LVM: DiskPlan = {
  table: 'gpt',
  bootMode: 'uefi',
  partitions: [
    {
      role: 'esp',
      sizeBytes: 64 * MiB,
      fsType: 'vfat',
      label: 'EFI',
      uuid: '3A1B-77C2',
      mountpoint: '/boot/efi',
    },
    {
      role: 'filesystem',
      sizeBytes: 512 * MiB,
      fsType: 'xfs',
      label: 'boot',
      uuid: '0d6a6a52-6f5e-4e3c-9a0f-6b2a4b9f1c11',
      mountpoint: '/boot',
    },
    {
      role: 'lvm',
      sizeBytes: 4200 * MiB,
      fsType: 'LVM2_member',
      label: null,
      uuid: null,
      mountpoint: null,
      volumeGroup: {
        name: 'rhel-vg',
        logicalVolumes: [
          {
            name: 'root',
            role: 'filesystem',
            sizeBytes: 4000 * MiB,
            fsType: 'xfs',
            label: "it's root",
            uuid: '6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918',
            mountpoint: '/',
          },
          {
            name: 'swap',
            role: 'swap',
            sizeBytes: 128 * MiB,
            fsType: 'swap',
            label: null,
            uuid: null,
            mountpoint: null,
          },
        ],
      },
    },
  ],
};

describe('the helper that makes XFS, btrfs and LVM inside the guest’s own kernel', () => {
  it('is used only for what the host cannot make: XFS, btrfs, logical volumes', () => {
    assert.equal(needsHelper(XFS_ON_LVM), true);
    const ext4Only: DiskPlan = {
      ...XFS_ON_LVM,
      partitions: [
        { ...(XFS_ON_LVM.partitions[1] as DiskPlan['partitions'][number]), fsType: 'ext4' },
      ],
    };
    assert.equal(needsHelper(ext4Only), false);
  });

  it('its script keeps the volume group and volumes by name, each filesystem by UUID and label, mounted as the VM mounts them', () => {
    const script = helperBuildScript(XFS_ON_LVM, { hostMade: ['/boot/efi'], dropLostFound: true });
    const lines = script.split('\n');
    const index = (text: string): number => {
      const i = lines.findIndex((l) => l.includes(text));
      assert.ok(i >= 0, `the script has ${text}:\n${script}`);
      return i;
    };
    assert.ok(index("lvm vgcreate 'rhel-vg' /dev/vdb3") > index('lvm pvcreate -ff -y /dev/vdb3'));
    index(`lvm lvcreate -y -Wn -Zn -L ${4000 * MiB}b -n 'root' 'rhel-vg'`);
    // The device-mapper name doubles the group's dash.
    index(
      `'mkfs.xfs' '-f' '-q' '-L' 'it'\\''s root' '-m' 'uuid=6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918' '/dev/mapper/rhel--vg-root'`,
    );
    index("'mkswap' '/dev/mapper/rhel--vg-swap'");
    index("'-L' 'boot' '-m' 'uuid=0d6a6a52-6f5e-4e3c-9a0f-6b2a4b9f1c11' '/dev/vdb2'");
    assert.ok(!script.includes('/dev/vdb1'), 'the ESP is the host’s, untouched here');
    const root = index("mount -t xfs /dev/mapper/rhel--vg-root '/run/p2v/target'");
    const boot = index("mount -t xfs /dev/vdb2 '/run/p2v/target/boot'");
    const hidden = index("mount -t tmpfs -o ro,size=4k p2v-empty '/boot/efi'");
    const copy = index('cp -a --one-file-system /. /run/p2v/target/');
    assert.ok(root < boot && boot < copy && hidden < copy, 'mounted, outer first, before the copy');
    assert.ok(index("umount '/run/p2v/target/boot'") < index("umount '/run/p2v/target'"));
    index('rm -f /run/p2v/target/etc/lvm/devices/system.devices');
    index('rmdir /run/p2v/target/lost+found');
    index('modprobe -a xfs dm-mod');
  });

  it('refuses a UUID that is not one, and a plan whose names LVM would not take', () => {
    const bad = structuredClone(XFS_ON_LVM);
    const root = bad.partitions[2]?.volumeGroup?.logicalVolumes[0];
    if (root) root.uuid = "$(reboot)'";
    assert.throws(() => helperBuildScript(bad, { hostMade: [], dropLostFound: false }), /UUID/);
    const named = structuredClone(XFS_ON_LVM) as unknown as {
      partitions: { volumeGroup?: { name: string } }[];
    };
    (named.partitions[2]?.volumeGroup as { name: string }).name = '-rf /';
    assert.equal(DiskPlan.safeParse(named).success, false);
    const unpaired = structuredClone(XFS_ON_LVM);
    delete unpaired.partitions[2]?.volumeGroup;
    const parsed = DiskPlan.safeParse(unpaired);
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error?.issues), /volumeGroup exactly when its role is lvm/);
  });

  it('device-mapper names split back into the group and volume names', () => {
    assert.deepEqual(splitMapperName('ubuntu--vg-ubuntu--lv'), {
      group: 'ubuntu-vg',
      name: 'ubuntu-lv',
    });
    assert.deepEqual(splitMapperName('rhel-root'), { group: 'rhel', name: 'root' });
    assert.equal(splitMapperName('sda1-crypt-x'), null);
    assert.equal(mapperName('ubuntu-vg', 'ubuntu-lv'), 'ubuntu--vg-ubuntu--lv');
  });

  it('loads the guest’s bootstrap modules dependencies first, skipping what is built in', () => {
    const dep = [
      'kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz kernel/fs/mbcache.ko.xz kernel/fs/jbd2/jbd2.ko.xz',
      'kernel/fs/mbcache.ko.xz:',
      'kernel/fs/jbd2/jbd2.ko.xz:',
      'kernel/lib/crc16.ko.xz:',
      'kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz kernel/drivers/virtio/virtio.ko.xz',
      'kernel/drivers/virtio/virtio_ring.ko.xz:',
      'kernel/drivers/virtio/virtio.ko.xz:',
    ].join('\n');
    const builtin = 'kernel/lib/crc16.ko\nkernel/drivers/virtio/virtio_pci.ko\n';
    assert.deepEqual(
      bootstrapOrder(dep, builtin, ['virtio_pci', 'virtio_blk', 'ext4'], ['crc32c_generic']),
      [
        'kernel/drivers/virtio/virtio_ring.ko.xz',
        'kernel/drivers/virtio/virtio.ko.xz',
        'kernel/drivers/block/virtio_blk.ko.xz',
        'kernel/fs/mbcache.ko.xz',
        'kernel/fs/jbd2/jbd2.ko.xz',
        'kernel/fs/ext4/ext4.ko.xz',
      ],
    );
    assert.throws(() => bootstrapOrder(dep, builtin, ['virtio_scsi']), /no virtio_scsi module/);
  });

  it('the initramfs is a newc archive the kernel unpacks, and only a static busybox goes in', () => {
    const archive = cpioNewc([
      { kind: 'dir', path: '/bin', mode: 0o755 },
      { kind: 'file', path: 'init', mode: 0o755, data: Buffer.from('#!/bin/sh\n') },
      { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    ]);
    assert.equal(archive.length % 4, 0);
    assert.deepEqual(readNewc(archive), [
      { name: 'bin', mode: 0o040755, data: '' },
      { name: 'init', mode: 0o100755, data: '#!/bin/sh\n' },
      { name: 'bin/sh', mode: 0o120777, data: 'busybox' },
    ]);
    // Node itself is linked dynamically: it has an interpreter, so it would not run in there.
    assert.equal(isStaticElf(readFileSync(process.execPath)), false);
    assert.equal(isStaticElf(Buffer.from('#!/bin/sh\n'.padEnd(64))), false);
  });
});

describe('where the guest’s GRUB looks for its configuration', () => {
  it('btrfs subvolumes: made parents first, the root’s the default, each mounted where the VM mounts it; GRUB looks below the root’s', async () => {
    const plan: DiskPlan = {
      table: 'gpt',
      bootMode: 'bios',
      partitions: [
        {
          role: 'bios-boot',
          sizeBytes: MiB,
          fsType: null,
          label: null,
          uuid: null,
          mountpoint: null,
        },
        {
          role: 'filesystem',
          sizeBytes: 4096 * MiB,
          fsType: 'btrfs',
          label: null,
          uuid: '4b3f2a9c-8d7e-4c6b-a5f4-3e2d1c0b9a87',
          mountpoint: '/',
          subvolumes: [
            { path: '@/.snapshots', mountpoint: '/.snapshots' },
            { path: '@/var', mountpoint: '/var' },
            { path: '@/.snapshots/1/snapshot', mountpoint: '/' },
          ],
        },
      ],
    };
    const script = helperBuildScript(plan, { hostMade: [], dropLostFound: false });
    const lines = script.split('\n');
    const index = (text: string): number => {
      const i = lines.findIndex((l) => l === text);
      assert.ok(i >= 0, `the script has ${text}:\n${script}`);
      return i;
    };
    const made = index(
      "'mkfs.btrfs' '-f' '-q' '-U' '4b3f2a9c-8d7e-4c6b-a5f4-3e2d1c0b9a87' '/dev/vdb2'",
    );
    const top = index("mount -t btrfs /dev/vdb2 '/run/p2v/top2'");
    const snapshots = index("btrfs subvolume create '/run/p2v/top2/@/.snapshots' >/dev/null");
    index("mkdir -p '/run/p2v/top2/@/.snapshots/1'");
    const root = index("btrfs subvolume create '/run/p2v/top2/@/.snapshots/1/snapshot' >/dev/null");
    const byDefault = index("btrfs subvolume set-default '/run/p2v/top2/@/.snapshots/1/snapshot'");
    const off = index("umount '/run/p2v/top2'");
    assert.ok(made < top && top < snapshots && snapshots < root && root < byDefault);
    const rootMount = index(
      "mount -t btrfs -o 'subvol=@/.snapshots/1/snapshot' /dev/vdb2 '/run/p2v/target'",
    );
    const varMount = index("mount -t btrfs -o 'subvol=@/var' /dev/vdb2 '/run/p2v/target/var'");
    const copy = index('cp -a --one-file-system /. /run/p2v/target/');
    assert.ok(off < rootMount && rootMount < varMount && varMount < copy);
    assert.ok(index("umount '/run/p2v/target/var'") < index("umount '/run/p2v/target'"));
    assert.ok(
      !lines.includes("mount -t btrfs /dev/vdb2 '/run/p2v/target'"),
      'the top level is not mounted as the root',
    );
    const tree = await tempDir();
    await mkdir(join(tree, 'boot/grub2'), { recursive: true });
    await writeFile(join(tree, 'boot/grub2/grub.cfg'), '');
    assert.equal(await grubPrefix(plan, tree), '(hd0,gpt2)/@/.snapshots/1/snapshot/boot/grub2');
    assert.equal(
      DiskPlan.safeParse({
        ...plan,
        partitions: [
          { ...plan.partitions[1], subvolumes: [{ path: '@/../etc', mountpoint: '/' }] },
        ],
      }).success,
      false,
      'a subvolume path cannot climb out',
    );
  });

  it('a /boot partition, the root, a logical volume; grub2 where RHEL and SUSE keep it', async () => {
    const tree = await tempDir();
    await mkdir(join(tree, 'boot/grub'), { recursive: true });
    await writeFile(join(tree, 'boot/grub/grub.cfg'), '');
    const part = (mountpoint: string, fsType = 'ext4') => ({
      role: 'filesystem' as const,
      sizeBytes: 64 * MiB,
      fsType,
      label: null,
      uuid: null,
      mountpoint,
    });
    const mbr = (partitions: DiskPlan['partitions']): DiskPlan => ({
      table: 'dos',
      bootMode: 'bios',
      partitions,
    });
    assert.equal(await grubPrefix(mbr([part('/')]), tree), '(hd0,msdos1)/boot/grub');
    assert.equal(await grubPrefix(XFS_ON_LVM, tree), '(hd0,gpt2)/grub');
    const lvmRoot = structuredClone(XFS_ON_LVM);
    lvmRoot.partitions.splice(1, 1);
    assert.equal(await grubPrefix(lvmRoot, tree), '(lvm/rhel--vg-root)/boot/grub');
    await mkdir(join(tree, 'boot/grub2'));
    await writeFile(join(tree, 'boot/grub2/grub.cfg'), '');
    assert.equal(
      await grubPrefix(mbr([part('/boot', 'xfs'), part('/')]), tree),
      '(hd0,msdos1)/grub2',
    );
  });

  it("finds the guest's GRUB modules where each distribution keeps them, and says where it looked", async () => {
    const tree = await tempDir();
    await assert.rejects(
      guestModules(tree, 'i386-pc'),
      (e) =>
        e instanceof P2VError &&
        /no GRUB for i386-pc \(.*SUSE's grub2-i386-pc; looked in \/usr\/lib\/grub\/i386-pc, \/usr\/share\/grub2\/i386-pc/.test(
          e.message,
        ),
    );
    // SUSE: grub2-i386-pc and grub2-x86_64-efi install below /usr/share/grub2.
    for (const platform of ['i386-pc', 'x86_64-efi'] as const) {
      await mkdir(join(tree, 'usr/share/grub2', platform), { recursive: true });
      await writeFile(join(tree, 'usr/share/grub2', platform, 'normal.mod'), '');
      assert.equal(await guestModules(tree, platform), join(tree, 'usr/share/grub2', platform));
    }
    // Debian and RHEL: /usr/lib/grub, taken first where both are.
    await mkdir(join(tree, 'usr/lib/grub/i386-pc'), { recursive: true });
    await writeFile(join(tree, 'usr/lib/grub/i386-pc/normal.mod'), '');
    assert.equal(await guestModules(tree, 'i386-pc'), join(tree, 'usr/lib/grub/i386-pc'));
  });
});
