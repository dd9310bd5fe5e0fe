import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { P2VError } from '../../shared/errors.ts';
import type { DiskPlan } from '../../shared/vm-image.ts';
import { ext4FeatureArgs } from './ext-features.ts';
import { findGuestKernel } from './guest-kernel.ts';
import { helperInitramfs } from './helper-initramfs.ts';
import { HELPER_EXIT, HELPER_INIT, HELPER_STEP, helperBuildScript } from './helper-script.ts';
import { kvmUsable } from './kvm-probe.ts';
import { plannedVolumes } from './plan-volumes.ts';
import { runChecked } from './run-checked.ts';

/** A helper that prints nothing for this long is stuck (a copy prints nothing while it runs). */
const SILENCE_LIMIT_MS = 30 * 60_000;
/** Console lines kept to explain a failure. */
const KEPT_LINES = 40;

/** Whether the plan needs the guest's own kernel: logical volumes, or a filesystem the host cannot make. */
export function needsHelper(plan: DiskPlan): boolean {
  return (
    plan.partitions.some((p) => p.role === 'lvm') ||
    plannedVolumes(plan).some((v) => v.fsType === 'xfs' || v.fsType === 'btrfs')
  );
}

export interface HelperOptions {
  /** The raw disk image, its partition table already written. */
  raw: string;
  plan: DiskPlan;
  /** The received tree (its kernel and modules run the helper). */
  tree: string;
  /** What goes onto the disk: the tree with the VM's own files added. */
  content: string;
  scratch: string;
  /** Mount points whose filesystems the host made (the ESP). */
  hostMade: string[];
  /** The received tree has no /lost+found of its own. */
  dropLostFound: boolean;
  /** Each step the helper begins, as it prints it. */
  onStep?: (step: string) => void;
}

/**
 * Makes the plan's volume groups, logical volumes and filesystems inside a short-lived VM of the
 * guest's own kernel, and copies the tree into them: nothing is mounted on the host, and every
 * filesystem is made by the guest's own tools, so its features are the ones its kernel reads.
 * The tree reaches the helper as a read-only ext4 image made with mke2fs -d, which keeps owners,
 * modes, times, hard links, xattrs and holes.
 */
export async function fillWithGuestKernel(options: HelperOptions): Promise<{ durationMs: number }> {
  const started = Date.now();
  const guest = await findGuestKernel(options.tree);
  const transport = join(options.scratch, 'tree.ext4');
  const size =
    plannedVolumes(options.plan).reduce((sum, v) => sum + v.sizeBytes, 0) + 256 * 1024 ** 2;
  // No metadata checksums: mounting them needs crc32c, a module the helper has no modprobe for yet.
  const features = ext4FeatureArgs(guest.release)[1];
  await runChecked(
    'mke2fs',
    [
      '-t',
      'ext4',
      '-F',
      '-q',
      '-i',
      '8192',
      '-O',
      ['^metadata_csum', '^metadata_csum_seed', ...(features ? features.split(',') : [])].join(','),
      '-d',
      options.content,
      transport,
      `${Math.ceil(size / 1024)}k`,
    ],
    'e2fsprogs',
  );
  const initramfs = join(options.scratch, 'helper.cpio');
  await writeFile(
    initramfs,
    await helperInitramfs(
      options.tree,
      guest.release,
      HELPER_INIT,
      helperBuildScript(options.plan, {
        hostMade: options.hostMade,
        dropLostFound: options.dropLostFound,
      }),
    ),
  );
  const kvm = await kvmUsable();
  const args = [
    '-machine',
    kvm ? 'q35,accel=kvm' : 'q35,accel=tcg',
    '-cpu',
    kvm ? 'host' : 'max',
    '-m',
    '1024',
    '-smp',
    kvm ? '2' : '1',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-serial',
    'stdio',
    '-kernel',
    guest.kernel,
    '-initrd',
    initramfs,
    '-append',
    'console=ttyS0,115200 panic=-1 selinux=0 loglevel=4',
    '-drive',
    `file=${transport},format=raw,if=virtio,readonly=on`,
    '-drive',
    `file=${options.raw},format=raw,if=virtio,cache=unsafe`,
  ];
  const { exit, lines } = await runHelper(args, options.onStep);
  if (exit !== 0)
    throw new P2VError(
      'IMAGE_BUILD_FAILED',
      `the helper VM (the guest's kernel ${guest.release}) ${exit === null ? 'ended without finishing' : `failed with exit ${exit}`}; its last console lines:\n${lines.join('\n')}`,
    );
  return { durationMs: Date.now() - started };
}

/** Runs qemu, following its console; resolves with the helper's exit code and the last lines. */
function runHelper(
  args: string[],
  onStep?: (step: string) => void,
): Promise<{ exit: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let exit: number | null = null;
    let stderr = '';
    let timer = setTimeout(() => qemu.kill('SIGKILL'), SILENCE_LIMIT_MS);
    const keep = (line: string): void => {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
    };
    createInterface({ input: qemu.stdout }).on('line', (raw) => {
      const line = raw.replace(/\r$/, '');
      clearTimeout(timer);
      timer = setTimeout(() => qemu.kill('SIGKILL'), SILENCE_LIMIT_MS);
      keep(line);
      if (line.startsWith(`${HELPER_STEP} `)) onStep?.(line.slice(HELPER_STEP.length + 1));
      const ended = new RegExp(`^${HELPER_EXIT} (\\d+)$`).exec(line);
      if (ended) exit = Number(ended[1]);
    });
    qemu.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    qemu.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new P2VError(
              'IO_ERROR',
              "qemu-system-x86_64 is not installed (Debian package qemu-system-x86): XFS, btrfs and LVM are made inside the guest's own kernel",
            )
          : error,
      );
    });
    qemu.once('close', () => {
      clearTimeout(timer);
      if (stderr.trim()) keep(stderr.trim());
      resolve({ exit, lines });
    });
  });
}
