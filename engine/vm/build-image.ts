import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { BuiltImage, DiskFormat, DiskPlan, PartitionPlan } from '../../shared/vm-image.ts';
import { hashFile } from '../checksum/block-checksums.ts';
import { installGrubBios, installGrubEfi } from './grub-boot.ts';
import { checkBuildable, makeExt, makeSwap, makeVfat, type Placement } from './make-filesystem.ts';
import { diskBytes, partitionOffsets, sfdiskScript } from './partition-table.ts';
import { runChecked } from './run-checked.ts';
import { addEntries, stageTree } from './staging-tree.ts';
import type { InjectedEntry } from './agent-injection.ts';
import type { NetworkIdentityPlan } from '../../shared/network.ts';
import { selinuxRelabel } from './selinux-labels.ts';
import { planDeviceReferences } from './device-references.ts';
import { fillWithGuestKernel, needsHelper } from './filesystem-helper.ts';
import { findGuestKernel } from './guest-kernel.ts';

export interface BuildOptions {
  /** The received tree: the source's files under their absolute paths. */
  tree: string;
  plan: DiskPlan;
  out: string;
  format: DiskFormat;
  /** The guest's kernel release, for the ext4 features it can mount. */
  kernel: string | null;
  /** The disk boots by itself with the guest's GRUB: under a BIOS (MBR) or UEFI (GPT + ESP). */
  bootloader?: 'none' | 'grub-bios' | 'grub-efi';
  /** Files added to the VM's filesystems and not to the received tree (the agent for the rounds). */
  inject?: InjectedEntry[];
  /**
   * How the VM's card takes over the source's network configuration (its address): the files
   * of the plan are written into the VM (planTreeNetwork makes it).
   */
  network?: NetworkIdentityPlan;
  /** Each step of the helper VM that makes XFS, btrfs and LVM, as it begins. */
  onStep?: (step: string) => void;
  /** Files of the tree written on this host before the build (a rebuilt initramfs): unlabelled. */
  writtenInTree?: string[];
}

/** The whole tree as one filesystem's content: what the helper copies onto the VM's disk. */
const ROOT_ONLY: PartitionPlan = {
  role: 'filesystem',
  sizeBytes: 1,
  fsType: null,
  label: null,
  uuid: null,
  mountpoint: '/',
};

/**
 * Mount points a Linux root needs to boot, made where the tree lacks them (a copy that left out
 * /proc or /run entirely); the folders /tmp and /var/tmp are world-writable and sticky.
 */
const MOUNT_POINTS: InjectedEntry[] = [
  { kind: 'dir', path: '/proc', mode: 0o555 },
  { kind: 'dir', path: '/sys', mode: 0o555 },
  { kind: 'dir', path: '/dev', mode: 0o755 },
  { kind: 'dir', path: '/run', mode: 0o755 },
  { kind: 'dir', path: '/tmp', mode: 0o1777 },
  { kind: 'dir', path: '/var/tmp', mode: 0o1777 },
];

/** qemu-img's output options per format: VMware takes the stream-optimized vmdk. */
const CONVERT_OPTIONS: Record<DiskFormat, string[]> = {
  qcow2: ['-O', 'qcow2'],
  vmdk: ['-O', 'vmdk', '-o', 'subformat=streamOptimized'],
  vhdx: ['-O', 'vhdx', '-o', 'subformat=dynamic'],
  raw: ['-O', 'raw'],
};

/**
 * Builds the VM's disk image from the received tree, without loop devices or root: a sparse
 * raw file, its partition table written by sfdisk, each filesystem made at its offset (mke2fs
 * -d, mkfs.vfat --offset and mtools, mkswap), labels and UUIDs kept, then converted with
 * qemu-img to the hypervisor's format.
 */
export async function buildImage(options: BuildOptions): Promise<BuiltImage> {
  const started = Date.now();
  const { plan } = options;
  const helper = needsHelper(plan);
  for (const partition of plan.partitions) checkBuildable(partition, helper);
  // Before anything is written: the helper runs the guest's kernel.
  if (helper) await findGuestKernel(options.tree);
  const out = resolve(options.out);
  await mkdir(dirname(out), { recursive: true });
  const raw = options.format === 'raw' ? out : `${out}.raw.partial`;
  // Staging folders of hard links must sit on the tree's filesystem.
  const network = options.network ?? null;
  const devices = await planDeviceReferences(options.tree, plan);
  const written: InjectedEntry[] = [
    ...(options.inject ?? []),
    ...devices.files.map((f) => ({ kind: 'file' as const, ...f })),
    ...(network?.files.map((f) => ({ kind: 'file' as const, ...f })) ?? []),
  ];
  // Labels lost on the way, or files written here that never had one: the guest's first boot
  // labels every file by its own policy (and reboots once).
  const relabel = await selinuxRelabel(options.tree, [
    ...(options.writtenInTree ?? []),
    ...written.filter((entry) => entry.kind !== 'dir').map((entry) => entry.path),
  ]);
  const inject: InjectedEntry[] = [
    ...written,
    ...(relabel
      ? [{ kind: 'file' as const, path: '/.autorelabel', content: '', mode: 0o644 }]
      : []),
  ];
  const work = await mkdtemp(join(dirname(resolve(options.tree)), '.p2v-image-'));
  try {
    const file = await open(raw, 'w');
    await file.truncate(diskBytes(plan));
    await file.close();
    await runChecked(
      'sfdisk',
      ['-q', '--no-reread', '--no-tell-kernel', raw],
      'fdisk',
      sfdiskScript(plan),
    );
    const offsets = partitionOffsets(plan);
    for (const [i, partition] of plan.partitions.entries()) {
      // With the helper, the host makes only what the guest's tools may lack: FAT.
      if (helper && partition.fsType !== 'vfat') continue;
      const at: Placement = {
        image: raw,
        ...(offsets[i] as { startBytes: number; sizeBytes: number }),
      };
      await makeFilesystem(at, partition, plan, { ...options, inject }, join(work, `p${i + 1}`));
    }
    if (helper)
      await fillWithGuestKernel({
        raw,
        plan,
        tree: options.tree,
        content: await contentFor(
          ROOT_ONLY,
          { ...plan, partitions: [] },
          options.tree,
          join(work, 'whole'),
          [...(await missingMountPoints(options.tree)), ...inject],
        ),
        scratch: work,
        hostMade: plan.partitions
          .filter((p) => p.fsType === 'vfat' && p.mountpoint)
          .map((p) => p.mountpoint as string),
        dropLostFound: !(await stat(join(options.tree, 'lost+found')).catch(() => null)),
        ...(options.onStep ? { onStep: options.onStep } : {}),
      });
    if (options.bootloader === 'grub-bios')
      await installGrubBios(raw, plan, options.tree, join(work, 'grub'));
    const bootProgram =
      options.bootloader === 'grub-efi'
        ? await installGrubEfi(raw, plan, options.tree, join(work, 'grub'))
        : null;
    if (options.format !== 'raw') {
      await runChecked(
        'qemu-img',
        ['convert', '-f', 'raw', ...CONVERT_OPTIONS[options.format], raw, out],
        'qemu-utils',
      );
      await rm(raw, { force: true });
    }
    const info = await stat(out);
    return {
      path: out,
      format: options.format,
      virtualBytes: diskBytes(plan),
      fileBytes: info.blocks * 512,
      hash: await hashFile(out),
      partitions: plan.partitions.map((p, i) => ({
        ...p,
        number: i + 1,
        startBytes: offsets[i]?.startBytes ?? 0,
      })),
      durationMs: Date.now() - started,
      ...(network ? { network } : {}),
      ...(relabel ? { selinuxRelabel: relabel } : {}),
      ...(devices.changes.length > 0 ? { deviceReferences: devices.changes } : {}),
      ...(devices.problems.length > 0 ? { bootFileProblems: devices.problems } : {}),
      ...(bootProgram ? { bootloaderFiles: [bootProgram] } : {}),
    };
  } catch (error) {
    await rm(raw, { force: true });
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function makeFilesystem(
  at: Placement,
  partition: PartitionPlan,
  plan: DiskPlan,
  options: BuildOptions,
  scratch: string,
): Promise<void> {
  if (partition.role === 'bios-boot' || partition.fsType === null) return;
  if (partition.fsType === 'swap') return makeSwap(at, partition, scratch);
  const content = await contentFor(partition, plan, options.tree, scratch, [
    ...(await missingMountPoints(options.tree)),
    ...(options.inject ?? []),
  ]);
  if (partition.fsType === 'vfat') return makeVfat(at, partition, content);
  return makeExt(at, partition, content, options.kernel);
}

/** The standard mount points the received tree lacks. */
async function missingMountPoints(tree: string): Promise<InjectedEntry[]> {
  const missing: InjectedEntry[] = [];
  for (const entry of MOUNT_POINTS)
    if (!(await stat(join(tree, entry.path)).catch(() => null))) missing.push(entry);
  return missing;
}

/** The folder whose files go into a partition: its mount point, minus nested mount points. */
async function contentFor(
  partition: PartitionPlan,
  plan: DiskPlan,
  tree: string,
  scratch: string,
  inject: InjectedEntry[],
): Promise<string> {
  const mountpoint = partition.mountpoint ?? '';
  const source = join(tree, mountpoint);
  const exists = await stat(source).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const prefix = mountpoint === '/' ? '/' : `${mountpoint}/`;
  const nestedAbsolute = plan.partitions
    .map((p) => p.mountpoint)
    .filter((m): m is string => m !== null && m !== mountpoint && m.startsWith(prefix));
  const nested = nestedAbsolute.map((m) => m.slice(prefix.length));
  // An added file belongs to the deepest partition mounted above it.
  const own = inject
    .filter((e) => e.path.startsWith(prefix))
    .filter((e) => !nestedAbsolute.some((m) => e.path.startsWith(`${m}/`)))
    .map((e) => ({ ...e, path: e.path.slice(prefix.length) }));
  if (!exists) await mkdir(scratch, { recursive: true });
  else if (nested.length === 0 && own.length === 0) return source;
  else await stageTree(source, scratch, nested);
  await addEntries(scratch, own);
  return scratch;
}
