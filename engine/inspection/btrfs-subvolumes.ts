import type { BlockDevice, SubvolumeMount } from '../../shared/inspection.ts';
import { parseMountInfo } from '../source/mount-table.ts';

/** A btrfs subvolume mount read from the mount table: the device it is on, and the subvolume. */
export interface SubvolumeMountOf extends SubvolumeMount {
  source: string;
}

/**
 * The btrfs subvolumes mounted, from /proc/self/mountinfo. A line is a subvolume's mount when
 * its root is the `subvol=` of its options and not the top level; a folder bind-mounted from a
 * btrfs filesystem has a root inside its subvolume instead, and is not one.
 */
export function parseSubvolumeMounts(mountinfo: string): SubvolumeMountOf[] {
  return parseMountInfo(mountinfo).flatMap((mount) => {
    const subvol = mount.options?.find((o) => o.startsWith('subvol='))?.slice('subvol='.length);
    if (mount.type !== 'btrfs' || subvol === undefined || subvol === '/' || subvol !== mount.root)
      return [];
    return [
      { source: mount.source ?? '', path: subvol.replace(/^\/+/, ''), mountpoint: mount.path },
    ];
  });
}

const depth = (mountpoint: string): number =>
  mountpoint === '/' ? 0 : mountpoint.split('/').length - 1;

/**
 * Gives each btrfs device the subvolumes mounted from it (the first mount of each), and their
 * mount points beside lsblk's, which names one mount point a device; the shallowest comes first.
 */
export function attachSubvolumes(devices: BlockDevice[], mounts: SubvolumeMountOf[]): void {
  for (const device of devices) {
    attachSubvolumes(device.children, mounts);
    if (device.fsType !== 'btrfs') continue;
    const own = mounts.filter((m) => m.source === device.path);
    if (own.length === 0) continue;
    const subvolumes = new Map<string, SubvolumeMount>();
    for (const { path, mountpoint } of own)
      if (!subvolumes.has(path)) subvolumes.set(path, { path, mountpoint });
    device.subvolumes = [...subvolumes.values()];
    device.mountpoints = [
      ...new Set([...device.mountpoints, ...own.map((m) => m.mountpoint)]),
    ].sort((a, b) => depth(a) - depth(b));
  }
}
