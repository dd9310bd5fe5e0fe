import { P2VError } from '../../shared/errors.ts';
import type { RawPath } from './raw-path.ts';

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)(\..*)?$/i;

/** Options for what the target's file system will not take. */
export interface ConfineOptions {
  /** Refuse Windows device names (CON, NUL, COM1…) and ':' and '\\'; on by default on Windows. */
  windowsNames?: boolean;
}

/**
 * Checks a target-relative raw path from the wire and returns its components. Refuses anything
 * that could leave the root or name something other than a plain entry: absolute paths, '.', '..',
 * empty components, NUL and other control bytes in odd places, chars beyond one byte, and device
 * names where the platform has them. Symlinks along the path are checked by the caller at use time.
 */
export function confinePath(raw: RawPath, options: ConfineOptions = {}): string[] {
  const windows = options.windowsNames ?? process.platform === 'win32';
  const refuse = (why: string): never => {
    throw new P2VError('BAD_PATH', `${why}: ${JSON.stringify(raw)}`);
  };
  if (typeof raw !== 'string' || raw.length === 0) refuse('empty path');
  if (raw.length > 4096) refuse('path too long');
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0) refuse('NUL byte in path');
    if (c > 0xff) refuse('path is not a byte string');
  }
  if (raw.startsWith('/')) refuse('absolute path');
  if (windows && (/^[a-zA-Z]:/.test(raw) || raw.startsWith('\\'))) refuse('absolute path');
  const parts = raw.split('/');
  for (const part of parts) {
    if (part === '') refuse('empty path component');
    if (part === '.' || part === '..') refuse('relative path component');
    if (Buffer.byteLength(part, 'latin1') > 255) refuse('name longer than 255 bytes');
    if (windows) {
      if (part.includes('\\') || part.includes(':')) refuse('reserved character');
      if (WINDOWS_DEVICE.test(part.trimEnd())) refuse('device name');
      if (part === '..' || /[. ]$/.test(part)) refuse('name ends with a dot or space');
    }
  }
  return parts;
}
