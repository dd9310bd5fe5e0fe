import type { BlockDevice, MachineInspection } from '../../shared/inspection.ts';
import type { DiskPlan, PartitionPlan } from '../../shared/vm-image.ts';

const MiB = 1024 * 1024;
/** Room added to what a filesystem uses, so the VM does not start full; the image stays sparse. */
const HEADROOM = 1.5;
const MIN_FILESYSTEM = 64 * MiB;

function flatten(devices: BlockDevice[]): BlockDevice[] {
  return devices.flatMap((d) => [d, ...flatten(d.children)]);
}

function holds(device: BlockDevice, mountpoint: string): boolean {
  return flatten([device]).some((d) => d.mountpoints.includes(mountpoint));
}

/**
 * The VM's disk from the source's inspection: the disk holding `/`, its mounted filesystems
 * (partitions and logical volumes alike, each becoming a partition), swap, and the EFI system
 * partition or, for a BIOS boot from GPT, a BIOS boot partition. Labels and UUIDs are kept so
 * fstab and boot entries still find them; sizes follow what is used, with headroom.
 */
export function planDisk(machine: MachineInspection): DiskPlan {
  const disk = machine.disks.find((d) => holds(d, '/'));
  const mounted = flatten(disk ? [disk] : [])
    .filter((d) => d.type !== 'disk' && (d.mountpoints.length > 0 || d.fsType === 'swap'))
    .filter((d) => d.fsType !== 'LVM2_member' && d.fsType !== 'crypto_LUKS');
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
  const order = (d: BlockDevice): number => {
    const m = d.mountpoints[0] ?? '';
    if (m === '/boot/efi') return 0;
    if (m === '/boot') return 1;
    if (m === '/') return 2;
    return d.fsType === 'swap' ? 9 : 3;
  };
  for (const device of mounted.sort((a, b) => order(a) - order(b))) {
    const mountpoint = device.fsType === 'swap' ? null : (device.mountpoints[0] ?? null);
    const used = device.usedBytes ?? device.sizeBytes;
    partitions.push({
      role: mountpoint === '/boot/efi' ? 'esp' : device.fsType === 'swap' ? 'swap' : 'filesystem',
      sizeBytes:
        device.fsType === 'swap' || mountpoint === '/boot/efi'
          ? device.sizeBytes
          : Math.max(MIN_FILESYSTEM, Math.ceil((used * HEADROOM) / MiB) * MiB),
      fsType: device.fsType,
      label: device.label,
      uuid: device.uuid,
      mountpoint,
    });
  }
  return { table, bootMode: machine.bootMode, partitions };
}
