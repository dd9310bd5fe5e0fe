import { P2VError } from '../../shared/errors.ts';
import type { DiskPlan } from '../../shared/vm-image.ts';
import { fromText } from '../paths/raw-path.ts';
import { plannedVolumes, rootSubvolume } from '../vm/plan-volumes.ts';
import type { SourceSet } from './source-set.ts';

/** A mount point of the VM's disk whose files the sources would not bring, and why. */
export interface EmptyVmVolume {
  mountpoint: string;
  /** The filesystem mounted there on the source, which the copy does not enter. */
  notCrossed?: string;
}

/**
 * The VM's volumes (and btrfs subvolumes) that would stay empty: the source has another
 * filesystem mounted at that folder, and the copy, which does not cross mounts unless asked,
 * would bring only the empty folder. A folder left out by an exclusion is the technician's
 * choice (or a default one, as /tmp's contents) and is not listed.
 */
export function emptyVmVolumes(plan: DiskPlan, sources: SourceSet): EmptyVmVolume[] {
  const mountpoints = new Set<string>();
  for (const volume of plannedVolumes(plan)) {
    if (volume.mountpoint?.startsWith('/')) mountpoints.add(volume.mountpoint);
    const root = rootSubvolume(volume);
    for (const subvolume of volume.subvolumes ?? [])
      // A subvolume that holds the root's (snapper's /.snapshots on SUSE) holds copies of the
      // system, not the system: the VM starts without its history rather than not at all.
      if (subvolume.mountpoint?.startsWith('/') && !root?.path.startsWith(`${subvolume.path}/`))
        mountpoints.add(subvolume.mountpoint);
  }
  const empty: EmptyVmVolume[] = [];
  for (const mountpoint of [...mountpoints].sort()) {
    const source = sources.sourceFor(fromText(mountpoint.replace(/^\/+/, '')));
    if (source === null) continue;
    const mount = sources.notEntered(source);
    if (mount) empty.push({ mountpoint, notCrossed: mount.type });
  }
  return empty;
}

/** Stops a migration whose VM would get empty volumes, before anything is sent. */
export function refuseEmptyVmVolumes(plan: DiskPlan, sources: SourceSet): void {
  const empty = emptyVmVolumes(plan, sources);
  if (empty.length === 0) return;
  const list = empty.map((e) => `${e.mountpoint} (${e.notCrossed})`).join(', ');
  throw new P2VError(
    'BLOCKED',
    `the VM would get ${empty.length === 1 ? 'a volume' : 'volumes'} with nothing in ${empty.length === 1 ? 'it' : 'them'}: ${list} ${empty.length === 1 ? 'is another filesystem' : 'are other filesystems'} mounted below the folders to move, which the copy does not enter. Add ${empty.map((e) => e.mountpoint).join(' ')} to the folders to move (--source, or the wizard's volume list), or copy across mounts (--cross-mounts); or leave ${empty.length === 1 ? 'it' : 'them'} out of the VM's disk plan (--vm-plan)`,
  );
}
