import { readdir, realpath } from 'node:fs/promises';
import type { DeviceReferenceChange, DiskPlan } from '../../shared/vm-image.ts';
import { mapperName, plannedVolumes, type PlannedVolume } from './plan-volumes.ts';
import { readMachineFile } from '../paths/machine-file.ts';

/**
 * A device named in a way the VM's disk does not keep: a kernel device path (`/dev/sda1` is
 * `/dev/vda1` on virtio; `/dev/mapper/rhel-root` is gone once logical volumes become
 * partitions) or a partition's own id (the new partition table has new ones). Filesystem UUIDs
 * and labels are kept by the builder, so those are left alone.
 */
const MOVED_DEVICE = String.raw`(?:/dev/|PARTUUID=|PARTLABEL=)[^\s"'\\;]+`;

/** Files whose kernel arguments boot the machine, as GRUB, BLS and systemd-boot keep them. */
const KERNEL_ARG_FILES = [
  '/etc/default/grub',
  '/etc/kernel/cmdline',
  '/boot/grub/grub.cfg',
  '/boot/grub2/grub.cfg',
  '/boot/grub/grubenv',
  '/boot/grub2/grubenv',
];

/** grubenv is a fixed 1 KiB block, padded with '#'; GRUB refuses one of another size. */
const GRUBENV_BYTES = 1024;

/** What one file becomes, and which references changed in it. */
interface Rewrite {
  text: string;
  changes: { was: string; now: string }[];
  /** References to devices the VM's disk does not have at all, with what that means. */
  unplaced?: string[];
}

/** The files the VM gets instead of the source's, and what changed in each. */
export interface DeviceReferencePlan {
  files: { path: string; content: string; mode: number }[];
  changes: DeviceReferenceChange[];
  problems: string[];
}

function rootOf(plan: DiskPlan): PlannedVolume | undefined {
  return plannedVolumes(plan).find((v) => v.mountpoint === '/' && v.role === 'filesystem');
}

/** The one swap with a UUID; with several, which one a reference meant is unknown. */
function onlySwap(plan: DiskPlan): PlannedVolume | undefined {
  const swaps = plannedVolumes(plan).filter((v) => v.role === 'swap');
  return swaps.length === 1 && swaps[0]?.uuid ? swaps[0] : undefined;
}

/** The names logical volumes the VM keeps go by: they still work there, so they stay. */
function keptNames(plan: DiskPlan): Set<string> {
  const names = new Set<string>();
  for (const v of plannedVolumes(plan)) {
    if (!v.lv) continue;
    const dm = mapperName(v.lv.group, v.lv.name);
    names.add(`/dev/mapper/${dm}`);
    names.add(`/dev/${v.lv.group}/${v.lv.name}`);
    names.add(`/dev/disk/by-id/dm-name-${dm}`);
    names.add(`rd.lvm.lv=${v.lv.group}/${v.lv.name}`);
    names.add(`rd.lvm.vg=${v.lv.group}`);
  }
  return names;
}

/** fstab: an entry for a filesystem the builder made names it by its kept UUID. */
export function rewriteFstab(text: string, plan: DiskPlan): Rewrite {
  const changes: Rewrite['changes'] = [];
  const unplaced: string[] = [];
  const kept = keptNames(plan);
  const moved = new RegExp(`^${MOVED_DEVICE}$`);
  const swapLines = text
    .split('\n')
    .filter(
      (line) =>
        /^\s*\S+\s+\S+\s+swap\s/.test(line) && moved.test(line.trim().split(/\s+/)[0] ?? ''),
    );
  const swap = swapLines.length === 1 ? onlySwap(plan) : undefined;
  const lines = text.split('\n').map((line) => {
    const fields = /^(\s*)(\S+)(\s+)(\S+)(\s+)(\S+)(.*)$/.exec(line);
    if (!fields || line.trimStart().startsWith('#')) return line;
    const [, lead, spec, gap, mountpoint, gap2, type, rest] = fields as unknown as string[];
    if (!moved.test(spec as string) || kept.has(spec as string)) return line;
    const made =
      type === 'swap'
        ? swap
        : plannedVolumes(plan).find((v) => v.mountpoint === mountpoint && v.role !== 'swap');
    if (!made?.uuid) {
      if (!made && !/\bnofail\b/.test(rest as string))
        unplaced.push(
          `${spec} ${mountpoint}: not on the VM's disk, so its boot may stop waiting for it (mark it nofail, or give the VM that disk)`,
        );
      return line;
    }
    const now = `UUID=${made.uuid}`;
    changes.push({ was: `${spec} ${mountpoint}`, now: `${now} ${mountpoint}` });
    return `${lead}${now}${gap}${mountpoint}${gap2}${type}${rest}`;
  });
  return { text: lines.join('\n'), changes, unplaced };
}

/**
 * Kernel arguments: `root=` and `resume=` name the filesystem and swap by UUID; `rd.lvm.lv=`
 * and `rd.lvm.vg=` go, since the VM's disk has no volume group for dracut to wait for.
 */
export function rewriteKernelArgs(text: string, plan: DiskPlan): Rewrite {
  const changes: Rewrite['changes'] = [];
  const seen = new Set<string>();
  const note = (was: string, now: string): void => {
    if (seen.has(was)) return;
    seen.add(was);
    changes.push({ was, now });
  };
  const root = rootOf(plan);
  const swap = onlySwap(plan);
  const kept = keptNames(plan);
  let out = text.replace(
    new RegExp(`(^|[\\s"'=])(root|resume)=(${MOVED_DEVICE})`, 'gm'),
    (whole, before: string, key: string, device: string) => {
      if (kept.has(device)) return whole;
      const made = key === 'root' ? root : swap;
      if (made?.uuid) {
        note(`${key}=${device}`, `${key}=UUID=${made.uuid}`);
        return `${before}${key}=UUID=${made.uuid}`;
      }
      if (key === 'resume') {
        // Hibernation into a swap the VM lacks would stall the boot waiting for it.
        note(`${key}=${device}`, '(removed)');
        return before.trim() ? before : '';
      }
      return whole;
    },
  );
  out = out.replace(/[ \t]*\brd\.lvm\.(?:lv|vg)=[^\s"']+/g, (arg) => {
    if (kept.has(arg.trim())) return arg;
    note(arg.trim(), '(removed)');
    return '';
  });
  return { text: out, changes };
}

/** grubenv after a rewrite: the variables, padded back to GRUB's fixed block, or null if too long. */
function padGrubenv(text: string): string | null {
  const body = text.replace(/#+$/, '');
  if (Buffer.byteLength(body) > GRUBENV_BYTES) return null;
  return body + '#'.repeat(GRUBENV_BYTES - Buffer.byteLength(body));
}

/**
 * Every file of the received tree that names a device the VM's disk will not have, rewritten
 * for the image (the tree itself is left as the source has it).
 */
export async function planDeviceReferences(
  tree: string,
  plan: DiskPlan,
): Promise<DeviceReferencePlan> {
  const top = await realpath(tree);
  const result: DeviceReferencePlan = { files: [], changes: [], problems: [] };
  const entries = async (dir: string, name: RegExp): Promise<string[]> =>
    (await readdir(`${top}${dir}`).catch(() => [] as string[]))
      .filter((n) => name.test(n))
      .sort()
      .map((n) => `${dir}/${n}`);
  const efiConfigs = (await entries('/boot/efi/EFI', /^[^.]/)).map((dir) => `${dir}/grub.cfg`);
  const blsEntries = await entries('/boot/loader/entries', /\.conf$/);
  const candidates: [string, (text: string, plan: DiskPlan) => Rewrite][] = [
    ['/etc/fstab', rewriteFstab],
    ...[...KERNEL_ARG_FILES, ...efiConfigs, ...blsEntries].map(
      (path) => [path, rewriteKernelArgs] as [string, typeof rewriteKernelArgs],
    ),
  ];
  const done = new Set<string>();
  for (const [path, rewrite] of candidates) {
    const file = await readMachineFile(top, path);
    if (file.kind === 'problem') result.problems.push(`${path}: ${file.why}`);
    if (file.kind !== 'file' || done.has(file.real)) continue;
    done.add(file.real);
    const { text, changes, unplaced = [] } = rewrite(file.text, plan);
    result.problems.push(...unplaced.map((why) => `${path}: ${why}`));
    if (changes.length === 0) continue;
    const content = path.endsWith('/grubenv') ? padGrubenv(text) : text;
    if (content === null) {
      result.problems.push(
        `${path}: longer than GRUB's 1 KiB block once rewritten; left as it was`,
      );
      continue;
    }
    // Written where the file really is: a symlink (grubenv on the ESP) stays a symlink. Its
    // mode is kept: RHEL's grub.cfg and BLS entries are 0600, and nothing should widen them.
    result.files.push({ path: file.real, content, mode: file.mode });
    for (const change of changes) result.changes.push({ file: file.real, ...change });
  }
  return result;
}
