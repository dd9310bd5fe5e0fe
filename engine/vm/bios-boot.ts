import { access, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import type { DiskPlan } from '../../shared/vm-image.ts';
import { partitionOffsets } from './partition-table.ts';
import { runChecked } from './run-checked.ts';

/** Bytes of boot.img that are code: the rest of the first sector holds the partition table. */
const BOOT_CODE = 440;
/** GRUB modules built into the core image, enough to find /boot and read its grub.cfg. */
const CORE_MODULES = [
  'biosdisk',
  'part_msdos',
  'ext2',
  'normal',
  'linux',
  'search',
  'search_fs_uuid',
  'configfile',
  'echo',
  'test',
  'serial',
  'terminal',
  'boot',
  'gzio',
];

/**
 * Makes an MBR disk boot by itself under a BIOS, as grub-install would, with plain writes: the
 * guest's own GRUB modules (from the tree) made into a core image whose prefix is the guest's
 * /boot/grub, written after the MBR, and boot.img's code into the MBR. The guest's own
 * grub.cfg then boots it; its UUIDs were kept, so it finds its root.
 */
export async function installGrubBios(
  raw: string,
  plan: DiskPlan,
  tree: string,
  scratch: string,
): Promise<void> {
  if (plan.table !== 'dos')
    throw new P2VError(
      'BAD_ARGUMENT',
      'a GRUB BIOS boot is built for MBR disks only so far: boot the VM with its own kernel instead',
    );
  const modules = join(tree, 'usr/lib/grub/i386-pc');
  if (
    !(await access(join(modules, 'boot.img')).then(
      () => true,
      () => false,
    ))
  )
    throw new P2VError(
      'BAD_ARGUMENT',
      'the source has no GRUB for BIOS (grub-pc): boot the VM with its own kernel instead',
    );
  const bootIndex = plan.partitions.findIndex((p) => p.mountpoint === '/boot');
  const holder =
    bootIndex >= 0 ? bootIndex : plan.partitions.findIndex((p) => p.mountpoint === '/');
  const prefix = `(hd0,msdos${holder + 1})${bootIndex >= 0 ? '' : '/boot'}/grub`;
  const config = join(tree, 'boot', 'grub', 'grub.cfg');
  if (
    !(await access(config).then(
      () => true,
      () => false,
    ))
  )
    throw new P2VError(
      'BAD_ARGUMENT',
      `no ${config}: the source's GRUB configuration is needed to boot from the disk`,
    );
  const core = `${scratch}.core.img`;
  await runChecked(
    'grub-mkimage',
    ['-O', 'i386-pc', '-d', modules, '-o', core, '-p', prefix, ...CORE_MODULES],
    'grub-common',
  );
  try {
    const room = (partitionOffsets(plan)[0]?.startBytes ?? 0) - 512;
    const size = (await stat(core)).size;
    if (size > room)
      throw new P2VError(
        'IO_ERROR',
        `GRUB's core image (${size} bytes) does not fit before the first partition (${room})`,
      );
    const disk = await open(raw, 'r+');
    try {
      await disk.write(
        (await readFile(join(modules, 'boot.img'))).subarray(0, BOOT_CODE),
        0,
        BOOT_CODE,
        0,
      );
      const image = await readFile(core);
      await disk.write(image, 0, image.length, 512);
    } finally {
      await disk.close();
    }
  } finally {
    await rm(core, { force: true });
  }
}
