import { P2VError } from '../../shared/errors.ts';
import { moduleNameFromPath } from './modinfo.ts';

/**
 * The kernel modules an initramfs carries, from `lsinitramfs` (Debian, Ubuntu: one path a line)
 * or `lsinitrd` (RHEL, Fedora: a header, then `ls -l` lines whose last field is the path).
 */
export function parseInitramfsListing(text: string): Set<string> {
  const modules = new Set<string>();
  let lines = 0;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    lines++;
    const path = trimmed.split(/\s+/).pop() as string;
    const name = moduleNameFromPath(path);
    if (name) modules.add(name);
  }
  if (lines === 0) throw new P2VError('PARSE_FAILED', 'the initramfs listing is empty');
  return modules;
}

/** Module names in `modules.builtin` (paths like `kernel/drivers/block/virtio_blk.ko`). */
export function parseModulesBuiltin(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const name = moduleNameFromPath(line);
    if (name) names.add(name);
  }
  return names;
}
