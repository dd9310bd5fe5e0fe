import { getDiskInfo } from 'node-disk-info';
import type { Volume } from '../../shared/inspection.ts';

/** Pseudo and memory filesystems are not data to move. */
const NOT_DATA = /^(tmpfs|devtmpfs|udev|none|overlay|shm|proc|sysfs|cgroup2?|efivarfs|zram\d*)$/;

/**
 * Mounted volumes with their space, from node-disk-info (`df -kP` on Linux, CIM on Windows).
 * Filesystem types come from lsblk or CIM elsewhere in the inspection.
 */
export async function mountedVolumes(): Promise<Volume[]> {
  const drives = await getDiskInfo();
  const unit = process.platform === 'win32' ? 1 : 1024;
  return drives
    .filter((d) => !NOT_DATA.test(d.filesystem) && isStorage(d.filesystem))
    .map((d) => ({
      device: d.filesystem,
      mountpoint: d.mounted,
      fsType: null,
      sizeBytes: d.blocks * unit,
      usedBytes: d.used * unit,
      availableBytes: d.available * unit,
    }));
}

/** Linux: block devices and network shares; anything else (`none`, a tool's own mounts) is not. */
function isStorage(device: string): boolean {
  return process.platform === 'win32' || device.startsWith('/') || /^[^/]+:\//.test(device);
}
