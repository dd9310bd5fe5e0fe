import type { BlockDevice, MachineInspection } from '../../shared/inspection.ts';
import type {
  DiskPlan,
  LogicalVolumePlan,
  PartitionPlan,
  SubvolumePlan,
  VolumeGroupPlan,
} from '../../shared/vm-image.ts';
import { splitMapperName } from './plan-volumes.ts';

const MiB = 1024 * 1024;
/** Room added to what a filesystem uses, so the VM does not start full; the image stays sparse. */
const HEADROOM = 1.5;
const MIN_FILESYSTEM = 64 * MiB;
/** LVM's default extent: each logical volume is a whole number of them. */
const EXTENT = 4 * MiB;
/** A physical volume's label and metadata area, and the alignment of its first extent. */
const PV_OVERHEAD = 8 * MiB;

export interface PlanOptions {
  /** Logical volumes become partitions (a VM built without the guest's own tools). */
  flattenLvm?: boolean;
}

function flatten(devices: BlockDevice[]): BlockDevice[] {
  return devices.flatMap((d) => [d, ...flatten(d.children)]);
}

function holds(device: BlockDevice, mountpoint: string): boolean {
  return flatten([device]).some((d) => d.mountpoints.includes(mountpoint));
}

/** The size a filesystem gets: what it uses, with headroom; swap and the ESP keep theirs. */
function sizeFor(device: BlockDevice, mountpoint: string | null): number {
  if (device.fsType === 'swap' || mountpoint === '/boot/efi') return device.sizeBytes;
  const used = device.usedBytes ?? device.sizeBytes;
  return Math.max(MIN_FILESYSTEM, Math.ceil((used * HEADROOM) / MiB) * MiB);
}

/** A btrfs filesystem's subvolumes as the source mounted them, parents before children. */
function subvolumesOf(device: BlockDevice): { subvolumes?: SubvolumePlan[] } {
  if (!device.subvolumes?.length) return {};
  const depth = (path: string): number => path.split('/').length;
  return {
    subvolumes: [...device.subvolumes]
      .sort((a, b) => depth(a.path) - depth(b.path) || a.path.localeCompare(b.path))
      .map(({ path, mountpoint }) => ({ path, mountpoint })),
  };
}

function mountpointOf(device: BlockDevice): string | null {
  return device.fsType === 'swap' ? null : (device.mountpoints[0] ?? null);
}

/** Mounted logical volumes grouped by volume group, as the source names them. */
function volumeGroups(volumes: BlockDevice[]): VolumeGroupPlan[] {
  const groups = new Map<string, LogicalVolumePlan[]>();
  for (const device of volumes) {
    const names = splitMapperName(device.name) as { group: string; name: string };
    const mountpoint = mountpointOf(device);
    const list = groups.get(names.group) ?? [];
    list.push({
      name: names.name,
      role: device.fsType === 'swap' ? 'swap' : 'filesystem',
      sizeBytes: sizeFor(device, mountpoint),
      fsType: device.fsType,
      label: device.label,
      uuid: device.uuid,
      mountpoint,
      ...subvolumesOf(device),
    });
    groups.set(names.group, list);
  }
  return [...groups].map(([name, logicalVolumes]) => ({ name, logicalVolumes }));
}

/**
 * The VM's disk from the source's inspection: the disk holding `/`, its mounted filesystems,
 * swap, and the EFI system partition or, for a BIOS boot from GPT, a BIOS boot partition. A
 * volume group keeps its name and its mounted logical volumes theirs, on one partition (or, with
 * `flattenLvm`, each logical volume becomes a partition). Labels and UUIDs are kept so fstab and
 * boot entries still find them; sizes follow what is used, with headroom.
 */
export function planDisk(machine: MachineInspection, options: PlanOptions = {}): DiskPlan {
  const disk = machine.disks.find((d) => holds(d, '/'));
  // A filesystem made on the whole disk (a cloud image's root, often) becomes a partition.
  const inUse = flatten(disk ? [disk] : [])
    .filter((d) => d.type !== 'disk' || d.fsType !== null || d.mountpoints.length > 0)
    .filter((d) => d.mountpoints.length > 0 || d.fsType === 'swap')
    .filter((d) => d.fsType !== 'LVM2_member' && d.fsType !== 'crypto_LUKS');
  // A logical volume spread over several physical volumes is listed under each of them.
  const unique = [...new Map(inUse.map((d) => [d.path || d.name, d])).values()];
  const keptLvm = (d: BlockDevice): boolean =>
    !options.flattenLvm && d.type === 'lvm' && splitMapperName(d.name) !== null;
  const table = disk?.partitionTable === 'dos' && machine.bootMode === 'bios' ? 'dos' : 'gpt';
  const partitions: PartitionPlan[] = [];
  if (machine.bootMode === 'bios' && table === 'gpt')
    partitions.push({
      role: 'bios-boot',
      sizeBytes: MiB,
      fsType: null,
      label: null,
      uuid: null,
      mountpoint: null,
    });
  const order = (m: string | null, swap: boolean): number => {
    if (m === '/boot/efi') return 0;
    if (m === '/boot') return 1;
    if (m === '/') return 2;
    return swap ? 9 : 3;
  };
  const planned: PartitionPlan[] = unique
    .filter((d) => !keptLvm(d))
    .map((device) => {
      const mountpoint = mountpointOf(device);
      return {
        role: mountpoint === '/boot/efi' ? 'esp' : device.fsType === 'swap' ? 'swap' : 'filesystem',
        sizeBytes: sizeFor(device, mountpoint),
        // lsblk leaves the type out where udev never probed the device (in a container, say);
        // the mount table still knows it.
        fsType:
          device.fsType ?? machine.volumes.find((v) => v.mountpoint === mountpoint)?.fsType ?? null,
        label: device.label,
        uuid: device.uuid,
        mountpoint,
        ...subvolumesOf(device),
      };
    });
  for (const group of volumeGroups(unique.filter(keptLvm)))
    planned.push({
      role: 'lvm',
      sizeBytes:
        PV_OVERHEAD +
        group.logicalVolumes.reduce(
          (sum, lv) => sum + Math.ceil(lv.sizeBytes / EXTENT) * EXTENT,
          0,
        ),
      fsType: 'LVM2_member',
      label: null,
      uuid: null,
      mountpoint: null,
      volumeGroup: group,
    });
  const rank = (p: PartitionPlan): number =>
    p.volumeGroup
      ? Math.min(
          ...p.volumeGroup.logicalVolumes.map((lv) => order(lv.mountpoint, lv.role === 'swap')),
        )
      : order(p.mountpoint, p.role === 'swap');
  partitions.push(...planned.sort((a, b) => rank(a) - rank(b)));
  return { table, bootMode: machine.bootMode, partitions };
}
