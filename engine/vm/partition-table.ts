import type { DiskPlan, PartitionPlan } from '../../shared/vm-image.ts';

/** Partitions start on 1 MiB boundaries, as every current tool aligns them. */
export const ALIGN = 1024 * 1024;
const SECTOR = 512;

const GPT_TYPES: Record<PartitionPlan['role'], string> = {
  filesystem: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  swap: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F',
  'bios-boot': '21686148-6449-6E6F-744E-656564454649',
  lvm: 'E6D6D379-F507-44C2-A23C-238F2A3DF928',
};
const DOS_TYPES: Record<PartitionPlan['role'], string> = {
  filesystem: '83',
  esp: 'ef',
  swap: '82',
  'bios-boot': 'ef02',
  lvm: '8e',
};

/** Where each partition lands: start and size in bytes, aligned. */
export function partitionOffsets(plan: DiskPlan): { startBytes: number; sizeBytes: number }[] {
  let next = ALIGN;
  return plan.partitions.map((p) => {
    const sizeBytes = Math.ceil(p.sizeBytes / ALIGN) * ALIGN;
    const placed = { startBytes: next, sizeBytes };
    next += sizeBytes;
    return placed;
  });
}

/** The whole disk: the partitions plus room for the backup GPT at the end. */
export function diskBytes(plan: DiskPlan): number {
  const last = partitionOffsets(plan).at(-1);
  return (last ? last.startBytes + last.sizeBytes : ALIGN) + ALIGN;
}

/** An sfdisk script for the plan (sfdisk(8) input format), written onto the image file. */
export function sfdiskScript(plan: DiskPlan): string {
  const types = plan.table === 'gpt' ? GPT_TYPES : DOS_TYPES;
  if (plan.table === 'dos' && plan.partitions.length > 4)
    throw new Error('an MBR disk holds at most four primary partitions');
  const lines = [`label: ${plan.table}`, 'unit: sectors', ''];
  // An MBR disk booted by a BIOS marks the partition holding /boot (or / without one) active.
  const bootFolder = plan.partitions.some((p) => p.mountpoint === '/boot') ? '/boot' : '/';
  partitionOffsets(plan).forEach((placed, i) => {
    const p = plan.partitions[i] as PartitionPlan;
    if (plan.table === 'dos' && p.role === 'bios-boot') return;
    const fields = [
      `start=${placed.startBytes / SECTOR}`,
      `size=${placed.sizeBytes / SECTOR}`,
      `type=${types[p.role]}`,
    ];
    if (plan.table === 'gpt' && p.label) fields.push(`name="${p.label.replace(/"/g, '')}"`);
    if (plan.table === 'dos' && plan.bootMode === 'bios' && p.mountpoint === bootFolder)
      fields.push('bootable');
    lines.push(fields.join(', '));
  });
  return `${lines.join('\n')}\n`;
}
