import { open, readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import type { PartitionPlan } from '../../shared/vm-image.ts';
import { ext4FeatureArgs } from './ext-features.ts';
import { runChecked } from './run-checked.ts';
import { HELPER_FILESYSTEMS } from './helper-script.ts';

/** Filesystems the builder makes in user space; anything else is refused, never faked. */
export const BUILDABLE = new Set(['ext2', 'ext3', 'ext4', 'vfat', 'swap']);

/** Where one filesystem goes: the image file and the partition's place in it. */
export interface Placement {
  image: string;
  startBytes: number;
  sizeBytes: number;
}

/**
 * Refuses, before anything is written, a filesystem the builder cannot make honestly. With the
 * helper (the guest's own kernel and tools), XFS, btrfs and logical volumes are made too.
 */
export function checkBuildable(partition: PartitionPlan, withHelper: boolean): void {
  const volumes = partition.volumeGroup?.logicalVolumes ?? [partition];
  for (const volume of volumes) {
    if (partition.role === 'bios-boot' || volume.fsType === null) continue;
    const fs = volume.fsType;
    if (BUILDABLE.has(fs) || (withHelper && HELPER_FILESYSTEMS.has(fs))) continue;
    throw new P2VError(
      'BAD_ARGUMENT',
      `${volume.mountpoint ?? 'a partition'} is ${fs}: the image builder makes ext2/3/4, XFS, btrfs, vfat and swap, on partitions or logical volumes; ${fs} is not one of them (migrate it onto one)`,
    );
  }
}

/** An ext2/3/4 filesystem at its offset, filled from `tree` with mke2fs -d (no mount, no root). */
export async function makeExt(
  at: Placement,
  partition: PartitionPlan,
  tree: string,
  kernel: string | null,
): Promise<void> {
  const fsType = partition.fsType as string;
  await runChecked(
    'mke2fs',
    [
      '-t',
      fsType,
      '-F',
      '-q',
      '-d',
      tree,
      ...(partition.label ? ['-L', partition.label] : []),
      ...(partition.uuid ? ['-U', partition.uuid] : []),
      ...(fsType === 'ext4' ? ext4FeatureArgs(kernel) : []),
      '-E',
      `offset=${at.startBytes}`,
      at.image,
      `${Math.floor(at.sizeBytes / 1024)}k`,
    ],
    'e2fsprogs',
  );
}

/** A FAT filesystem (the EFI system partition) at its offset, filled with mtools. */
export async function makeVfat(
  at: Placement,
  partition: PartitionPlan,
  tree: string,
): Promise<void> {
  const volumeId = partition.uuid?.replace('-', '').toUpperCase();
  await runChecked(
    'mkfs.vfat',
    [
      '--offset',
      String(at.startBytes / 512),
      // Chosen here: left alone, mkfs.fat sizes the FAT by the whole image file, not the partition.
      '-F',
      at.sizeBytes >= 260 * 1024 * 1024 ? '32' : '16',
      ...(partition.label ? ['-n', partition.label.slice(0, 11).toUpperCase()] : []),
      ...(volumeId && /^[0-9A-F]{8}$/.test(volumeId) ? ['-i', volumeId] : []),
      at.image,
      String(Math.floor(at.sizeBytes / 1024)),
    ],
    'dosfstools',
  );
  const entries = await readdir(tree).catch(() => []);
  if (entries.length === 0) return;
  await runChecked(
    'mcopy',
    [
      '-s',
      '-p',
      '-m',
      '-i',
      `${at.image}@@${at.startBytes}`,
      ...entries.map((e) => join(tree, e)),
      '::',
    ],
    'mtools',
  );
}

/**
 * A swap area: mkswap has no offset option, so it writes a sparse scratch file of the same
 * size, whose header (the first page, with UUID and label) is copied into the image.
 */
export async function makeSwap(
  at: Placement,
  partition: PartitionPlan,
  scratch: string,
): Promise<void> {
  await truncate(scratch, 0).catch(() => undefined);
  const file = await open(scratch, 'w');
  await file.truncate(at.sizeBytes);
  await file.close();
  await runChecked(
    'mkswap',
    [
      ...(partition.label ? ['-L', partition.label] : []),
      ...(partition.uuid ? ['-U', partition.uuid] : []),
      scratch,
    ],
    'util-linux',
  );
  const header = Buffer.alloc(64 * 1024);
  const source = await open(scratch, 'r');
  await source.read(header, 0, header.length, 0);
  await source.close();
  const image = await open(at.image, 'r+');
  await image.write(header, 0, header.length, at.startBytes);
  await image.close();
  await rm(scratch, { force: true });
}
