import type { DiskPlan } from '../../shared/vm-image.ts';

/** The root filesystem's UUID the small test plans keep, as a source's fstab would name it. */
export const SMALL_ROOT_UUID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';

/** The smallest disk a tree can be built into: an MBR disk with one 64 MiB ext4 root. */
export const SMALL_ROOT_PLAN: DiskPlan = {
  table: 'dos',
  bootMode: 'bios',
  partitions: [
    {
      role: 'filesystem',
      sizeBytes: 64 * 1024 * 1024,
      fsType: 'ext4',
      label: 'root',
      uuid: SMALL_ROOT_UUID,
      mountpoint: '/',
    },
  ],
};
