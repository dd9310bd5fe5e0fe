import { readFileSync } from 'node:fs';

/** A filesystem mounted on the source: where, and of what type. */
export interface Mount {
  path: string;
  type: string;
  /** The folder of the filesystem mounted there (`/` for its top; a btrfs subvolume's path). */
  root?: string;
  /** The device (or share) it comes from, and the filesystem's own options (`subvol=/@`). */
  source?: string;
  options?: string[];
}

/**
 * The mounts of this process's namespace, from /proc/self/mountinfo (bind mounts included,
 * which share their device with the folder they came from, so st_dev alone cannot tell them);
 * empty where there is no such file.
 */
export function readMountTable(): Mount[] {
  try {
    return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return [];
  }
}

/**
 * Parses mountinfo lines (proc_pid_mountinfo(5)): field 4 is the root, field 5 the mount point
 * (both octal-escaped); the type, source and the filesystem's options follow ` - `.
 */
export function parseMountInfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const point = fields[4];
    const type = fields[dash + 1];
    if (dash < 6 || !point || !type) continue;
    mounts.push({
      path: unescapeOctal(point),
      type,
      root: unescapeOctal(fields[3] ?? ''),
      source: unescapeOctal(fields[dash + 2] ?? ''),
      options: (fields[dash + 3] ?? '').split(',').map(unescapeOctal),
    });
  }
  return mounts;
}

function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, code: string) => String.fromCharCode(parseInt(code, 8)));
}
