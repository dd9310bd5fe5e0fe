import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseInitramfsListing, parseModulesBuiltin } from '../inspection/initramfs-listing.ts';
import { runTool } from '../inspection/run-tool.ts';
import type { GuestKernel } from './guest-kernel.ts';

/** What a virtio VM's first boot needs to find its root disk: one module of each group. */
export const ROOT_DISK_DRIVERS: string[][] = [['virtio_pci'], ['virtio_blk', 'virtio_scsi']];

/** Whether the guest's initramfs can find the VM's disk, and how to fix it if not. */
export type InitramfsVerdict =
  { ok: true } | { ok: false; missing: string[]; command: string } | { ok: null; reason: string };

/** Lists an initramfs: the guest's own tool in a chroot of the tree (as root), or the host's. */
export type ListInitramfs = (tree: string, initrd: string, tool: string) => Promise<string | null>;

const listWithTools: ListInitramfs = async (tree, initrd, tool) => {
  const inGuest = `/${initrd.slice(tree.length).replace(/^\/+/, '')}`;
  if (process.getuid?.() === 0) {
    const out = await runTool('chroot', [tree, tool, inGuest], { timeoutMs: 120_000 });
    if (!out.missing && out.exitCode === 0 && out.stdout.trim()) return out.stdout;
  }
  const out = await runTool(tool, [initrd], { timeoutMs: 120_000 });
  return !out.missing && out.exitCode === 0 ? out.stdout : null;
};

/**
 * Checks that the guest's initramfs (or its kernel, built in) carries the drivers the VM's
 * disk needs, before anything is built: a VM that cannot find its root hangs in the initramfs.
 */
export async function checkInitramfs(
  tree: string,
  guest: GuestKernel,
  list: ListInitramfs = listWithTools,
): Promise<InitramfsVerdict> {
  const redHat = guest.initrd.endsWith('.img');
  const tool = redHat ? 'lsinitrd' : 'lsinitramfs';
  const listing = await list(tree, guest.initrd, tool);
  if (listing === null)
    return { ok: null, reason: `${tool} could not list ${guest.initrd} (not installed?)` };
  const carried = parseInitramfsListing(listing);
  let builtin = new Set<string>();
  for (const dir of ['usr/lib/modules', 'lib/modules']) {
    const text = await readFile(join(tree, dir, guest.release, 'modules.builtin'), 'utf8').catch(
      () => null,
    );
    if (text !== null) {
      builtin = parseModulesBuiltin(text);
      break;
    }
  }
  const missing = ROOT_DISK_DRIVERS.filter((group) =>
    group.every((m) => !carried.has(m) && !builtin.has(m)),
  ).map((group) => group[0] as string);
  if (missing.length === 0) return { ok: true };
  const command = redHat
    ? `dracut -f --add-drivers "${missing.join(' ')}" /boot/initramfs-${guest.release}.img ${guest.release}`
    : `printf '%s\\n' ${missing.join(' ')} >> /etc/initramfs-tools/modules && update-initramfs -u -k ${guest.release}`;
  return { ok: false, missing, command };
}
