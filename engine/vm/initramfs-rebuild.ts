import { appendFile, lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { pathExists } from '../paths/path-exists.ts';
import { join, relative } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import type { InitramfsRebuild } from '../../shared/vm-image.ts';
import { runTool } from '../inspection/run-tool.ts';
import type { GuestKernel } from './guest-kernel.ts';
import { statKey } from '../paths/stat-key.ts';
import { checkInitramfs, type InitramfsVerdict } from './initramfs-check.ts';

/** What the VM's disk needs in its initramfs, added to the guest's own configuration. */
const VIRTIO_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_scsi'];

/**
 * Where the initramfs tools write: the image, their configuration and their own records of it
 * (Debian's `/var/lib/initramfs-tools/<release>` holds the image's checksum).
 */
const WRITTEN_BY_TOOLS = ['boot', 'etc', 'var/lib/initramfs-tools', 'var/lib/dracut'];

/**
 * Runs a command as the guest, inside its tree: a private mount namespace (unshare) with its own
 * /proc and /sys and a /dev on a fresh tmpfs holding only the basic nodes. The mounts end with
 * the command, so nothing is left mounted in the tree and nothing of the host's /dev is reachable
 * from it.
 */
export function runInGuest(tree: string, command: string[]): ReturnType<typeof runTool> {
  const script = [
    'set -e',
    't=$1',
    'shift',
    'mkdir -p "$t/proc" "$t/sys" "$t/dev"',
    'mount -t proc proc "$t/proc"',
    'mount -t sysfs sys "$t/sys"',
    'mount -t tmpfs -o mode=755 dev "$t/dev"',
    'mknod -m 666 "$t/dev/null" c 1 3',
    'mknod -m 666 "$t/dev/zero" c 1 5',
    'mknod -m 666 "$t/dev/full" c 1 7',
    'mknod -m 666 "$t/dev/random" c 1 8',
    'mknod -m 666 "$t/dev/urandom" c 1 9',
    'exec chroot "$t" "$@"',
  ].join('\n');
  return runTool(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', script, 'p2v-guest', tree, ...command],
    { timeoutMs: 10 * 60_000 },
  );
}

/** The first of `paths` (tree-relative) that exists in the tree, or null. */
async function firstIn(tree: string, paths: string[]): Promise<string | null> {
  for (const path of paths) {
    if (await pathExists(join(tree, path))) return path;
  }
  return null;
}

/** What identifies each file below the tools' folders, by tree-relative path. */
async function snapshot(tree: string): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const full = join(dir, name);
      // A name that is not UTF-8 reads back lossy and cannot be stat'ed: no tool writes one.
      const info = await lstat(full, { bigint: true }).catch(() => null);
      if (info?.isDirectory()) await walk(full);
      else if (info) seen.set(relative(tree, full), statKey(info));
    }
  };
  for (const folder of WRITTEN_BY_TOOLS) await walk(join(tree, folder));
  return seen;
}

/**
 * Adds the VM's disk drivers to the guest's initramfs configuration and rebuilds its initramfs
 * with the guest's own tool, inside the received tree on the conversion host. Returns the files
 * that now differ from the source on purpose: the rounds must not send the source's back.
 */
export async function rebuildInitramfs(
  tree: string,
  guest: GuestKernel,
  verdict: Extract<InitramfsVerdict, { ok: false }>,
): Promise<InitramfsRebuild> {
  const onSource = `Or, on the source, run: ${verdict.command} — then run the migration again: it resumes, sends the new initramfs and builds the VM`;
  if (process.getuid?.() !== 0)
    throw new P2VError(
      'VM_FAILED',
      `the guest's initramfs ${guest.initrd} lacks ${verdict.missing.join(', ')}, so the VM could not find its disk, and this agent does not run as root to rebuild it in the guest's tree. Nothing was built. ${onSource}`,
    );
  const redHat = guest.initrd.endsWith('.img');
  const tool = redHat
    ? await firstIn(tree, ['usr/bin/dracut', 'usr/sbin/dracut', 'sbin/dracut'])
    : await firstIn(tree, ['usr/sbin/update-initramfs', 'sbin/update-initramfs']);
  if (!tool)
    throw new P2VError(
      'VM_FAILED',
      `the guest's initramfs ${guest.initrd} lacks ${verdict.missing.join(', ')}, and the guest has no ${redHat ? 'dracut' : 'update-initramfs'} to rebuild it. Nothing was built. ${onSource}`,
    );
  // Compared by stat, not by clock: nothing else writes the tree while the VM is built.
  const before = await snapshot(tree);
  // In the guest's configuration, so the migrated machine's later kernels keep the drivers.
  if (redHat) {
    await mkdir(join(tree, 'etc/dracut.conf.d'), { recursive: true });
    await writeFile(
      join(tree, 'etc/dracut.conf.d/p2v-virtio.conf'),
      `# Added by P2V Wizard: the VM's disk drivers\nadd_drivers+=" ${VIRTIO_MODULES.join(' ')} "\n`,
    );
  } else {
    const modules = join(tree, 'etc/initramfs-tools/modules');
    const listed = await readFile(modules, 'utf8').catch(() => '');
    const add = VIRTIO_MODULES.filter((m) => !new RegExp(`^\\s*${m}\\b`, 'm').test(listed));
    await appendFile(
      modules,
      `${listed === '' || listed.endsWith('\n') ? '' : '\n'}# Added by P2V Wizard: the VM's disk drivers\n${add.join('\n')}\n`,
    );
  }
  const inGuest = `/${relative(tree, guest.initrd)}`;
  const command = redHat
    ? [`/${tool}`, '-f', inGuest, guest.release]
    : [`/${tool}`, '-u', '-k', guest.release];
  const out = await runInGuest(tree, command);
  if (out.missing)
    throw new P2VError('IO_ERROR', 'unshare is not installed (Debian package util-linux)');
  if (out.exitCode !== 0)
    throw new P2VError(
      'VM_FAILED',
      `rebuilding the guest's initramfs failed: ${command.join(' ')}: ${(out.stderr || out.stdout).trim().slice(-1000)}. Nothing was built. ${onSource}`,
    );
  const after = await checkInitramfs(tree, guest);
  if (after.ok === false)
    throw new P2VError(
      'VM_FAILED',
      `the rebuilt initramfs ${guest.initrd} still lacks ${after.missing.join(', ')}. Nothing was built. ${onSource}`,
    );
  const changed = [...(await snapshot(tree))]
    .filter(([path, key]) => before.get(path) !== key)
    .map(([path]) => path)
    .sort();
  return { command: command.join(' '), changed };
}
