import type { DiskPlan, PartitionPlan, SubvolumePlan } from '../../shared/vm-image.ts';

/**
 * A filesystem or swap of the VM's disk wherever it lives: on a partition (`partition`, 1-based)
 * or on a logical volume (`group` and the volume's `name`).
 */
export interface PlannedVolume {
  role: 'filesystem' | 'esp' | 'swap';
  sizeBytes: number;
  fsType: string | null;
  label: string | null;
  uuid: string | null;
  mountpoint: string | null;
  partition: number;
  lv?: { group: string; name: string };
  subvolumes?: SubvolumePlan[];
}

/** Every filesystem and swap the plan makes, partitions and logical volumes alike, in order. */
export function plannedVolumes(plan: DiskPlan): PlannedVolume[] {
  return plan.partitions.flatMap((p: PartitionPlan, i): PlannedVolume[] => {
    if (p.role === 'bios-boot') return [];
    if (p.role === 'lvm')
      return (p.volumeGroup?.logicalVolumes ?? []).map((lv) => ({
        ...lv,
        partition: i + 1,
        lv: { group: p.volumeGroup?.name as string, name: lv.name },
      }));
    return [
      {
        role: p.role,
        sizeBytes: p.sizeBytes,
        fsType: p.fsType,
        label: p.label,
        uuid: p.uuid,
        mountpoint: p.mountpoint,
        partition: i + 1,
        ...(p.subvolumes ? { subvolumes: p.subvolumes } : {}),
      },
    ];
  });
}

/** The btrfs subvolume mounted where its volume is (its `/`, say): the default, and GRUB's root. */
export function rootSubvolume(volume: PlannedVolume): SubvolumePlan | undefined {
  return volume.subvolumes?.find((s) => s.mountpoint === volume.mountpoint);
}

/** The device-mapper name of a logical volume: dashes in either name doubled, joined by one. */
export function mapperName(group: string, name: string): string {
  return `${group.replace(/-/g, '--')}-${name.replace(/-/g, '--')}`;
}

/** Splits a device-mapper name (`ubuntu--vg-ubuntu--lv`) into its group and volume names. */
export function splitMapperName(dm: string): { group: string; name: string } | null {
  const match = /^((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(dm);
  if (!match) return null;
  return {
    group: (match[1] as string).replace(/--/g, '-'),
    name: (match[2] as string).replace(/--/g, '-'),
  };
}

/**
 * The kernel arguments naming the plan's root for a direct boot, or null when it has no UUID:
 * a filesystem by UUID; one on a logical volume by its mapper path, as the guest's own boot
 * entry names it, with `rd.lvm.lv=` because dracut activates only the volumes it is told of
 * (Debian's initramfs activates the group of a `/dev/mapper` root by itself).
 */
export function directRoot(plan: DiskPlan): string | null {
  const root = plannedVolumes(plan).find((v) => v.mountpoint === '/');
  if (!root?.uuid) return null;
  if (!root.lv) return `root=UUID=${root.uuid}`;
  const { group, name } = root.lv;
  return `root=/dev/mapper/${mapperName(group, name)} rd.lvm.lv=${group}/${name}`;
}
