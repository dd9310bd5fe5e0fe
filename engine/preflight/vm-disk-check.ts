import type { PreflightCheck } from '../../shared/preflight.ts';
import type { DiskPlan } from '../../shared/vm-image.ts';
import { formatBytes } from '../../shared/format.ts';
import { P2VError } from '../../shared/errors.ts';
import { say } from '../i18n/say.ts';
import { needsHelper } from '../vm/filesystem-helper.ts';
import { checkBuildable } from '../vm/make-filesystem.ts';
import { plannedVolumes } from '../vm/plan-volumes.ts';

/**
 * What the VM's disk will hold, volume by volume (filesystem, size, partition or logical
 * volume), said before the copy; blocked only by what the builder truly cannot make, with why.
 * When building the VM is still `optional` (the wizard asks later), what cannot be built is a
 * warning here and blocks only a migration that asks for the VM.
 */
export function vmDiskCheck(plan: DiskPlan, optional = false): PreflightCheck {
  const helper = needsHelper(plan);
  const volumes = plannedVolumes(plan)
    .map((v) => {
      const where = v.lv ? `LV ${v.lv.group}/${v.lv.name}` : `#${v.partition}`;
      const subvolumes = (v.subvolumes ?? []).map(
        // btrfs's own notation, the same in every language.
        (s) => `subvol=${s.path}${s.mountpoint ? ` → ${s.mountpoint}` : ''}`,
      );
      const inside = subvolumes.length ? `; ${subvolumes.join(', ')}` : '';
      return `${v.mountpoint ?? v.role} ${v.fsType ?? '?'} ${formatBytes(v.sizeBytes)} (${where}${inside})`;
    })
    .join('; ');
  const reasons: string[] = [];
  for (const partition of plan.partitions)
    try {
      checkBuildable(partition, helper);
    } catch (error) {
      reasons.push(error instanceof P2VError ? (error.detail ?? error.message) : String(error));
    }
  const table = plan.table === 'dos' ? 'MBR' : 'GPT';
  const params = { table, boot: plan.bootMode.toUpperCase(), volumes };
  const [level, detail] =
    reasons.length > 0
      ? ([optional ? 'warning' : 'blocker', 'vmDiskBlocked'] as const)
      : helper
        ? (['ok', 'vmDiskHelper'] as const)
        : (['ok', 'vmDisk'] as const);
  const title = say('preflight.vmDiskTitle');
  const body = say(`preflight.${detail}`, { ...params, reasons: reasons.join('; ') });
  return {
    id: 'vm-disk',
    level,
    title: title.text,
    detail: body.text,
    titleMessage: title.message,
    detailMessage: body.message,
  };
}
