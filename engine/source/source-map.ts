import { resolve } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import { fromText, type RawPath } from '../paths/raw-path.ts';

/** One source folder and where it lands under the target root. */
export interface SourceMapping {
  /** Absolute path of the folder on the source machine. */
  dir: string;
  /** Target-relative raw path it maps to; '' is the target root itself. */
  target: RawPath;
}

/**
 * Parses `DIR[:TARGETPATH]`. By default a folder keeps its absolute path under the target root,
 * so the target mirrors the machine; `DIR:/` maps the folder onto the root.
 */
export function parseSourceArgument(text: string, cwd = process.cwd()): SourceMapping {
  const colon = text.lastIndexOf(':');
  const dirText = colon > 0 ? text.slice(0, colon) : text;
  const targetText = colon > 0 ? text.slice(colon + 1) : null;
  if (dirText.length === 0) throw new P2VError('BAD_ARGUMENT', `--source ${text}: no folder`);
  const dir = resolve(cwd, dirText);
  const targetAbsolute = targetText === null ? dir : targetText;
  if (!targetAbsolute.startsWith('/')) {
    throw new P2VError('BAD_ARGUMENT', `--source ${text}: the target path must be absolute`);
  }
  const parts = targetAbsolute.split('/').filter((p) => p.length > 0);
  if (parts.some((p) => p === '..' || p === '.')) {
    throw new P2VError(
      'BAD_ARGUMENT',
      `--source ${text}: the target path must not contain . or ..`,
    );
  }
  return { dir, target: fromText(parts.join('/')) };
}

/**
 * What a copy of a whole Linux machine leaves out: the contents of kernel views, runtime state
 * and other mounts (`/x/*`: the folder itself is kept, as the VM needs its mount points), and
 * swap files and our own state entirely.
 */
export const DEFAULT_EXCLUDES = [
  '/proc/*',
  '/sys/*',
  '/dev/*',
  '/run/*',
  '/tmp/*',
  '/var/tmp/*',
  '/mnt/*',
  '/media/*',
  // journald's binary files change every second on a running machine, so the last round could
  // never match them; the VM starts journals of its own.
  '/var/log/journal/*',
  '/lost+found',
  '/swapfile',
  '/swap.img',
  '/var/lib/p2v-wizard',
];
