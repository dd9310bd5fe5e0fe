import type { BootMode } from './inspection.ts';

/** Disk image formats the hypervisors take: KVM, VMware, Hyper-V, or plain. */
export type DiskFormat = 'qcow2' | 'vmdk' | 'vhdx' | 'raw';

/** One partition of the VM's disk, as the image builder makes it. */
export interface PartitionPlan {
  /** What the partition is for; decides its type code. */
  role: 'filesystem' | 'esp' | 'swap' | 'bios-boot';
  sizeBytes: number;
  /** `ext4`, `ext3`, `ext2`, `vfat`, `swap`, or one the builder refuses (xfs, btrfs, ntfs). */
  fsType: string | null;
  label: string | null;
  /** Filesystem UUID (ext) or volume id (vfat, `ABCD-1234`) kept from the source. */
  uuid: string | null;
  /** Where it is mounted on the source; its files come from this path in the received tree. */
  mountpoint: string | null;
}

/** The VM's disk: partition table, boot mode and partitions in order. */
export interface DiskPlan {
  table: 'gpt' | 'dos';
  bootMode: BootMode;
  partitions: PartitionPlan[];
}

/** What `p2v vm build` made. */
export interface BuiltImage {
  path: string;
  format: DiskFormat;
  /** The disk's size as the VM sees it. */
  virtualBytes: number;
  /** The image file's size on disk. */
  fileBytes: number;
  /** Whole-file XXH3-128 of the image file. */
  hash: string;
  partitions: (PartitionPlan & { number: number; startBytes: number })[];
  durationMs: number;
}
