import {
  chmodSync,
  chownSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { P2VError } from '../../shared/errors.ts';
import { applyXattrs, type Xattr } from '../paths/xattrs.ts';
import { nsToSeconds } from '../paths/times.ts';
import type { RequestOf } from '../protocol/messages.ts';
import { replaceWithSync } from './apply-put.ts';
import type { TargetRoot } from './target-root.ts';

// Folders, links, metadata and removals on the target. Each is a handful of metadata system
// calls, done synchronously (microseconds each) rather than one thread-pool trip per call. A
// function returns the folder whose entries changed, which the caller fsyncs before answering.

/** lstat, or null when nothing is there. */
export function lstatOrNull(path: Buffer): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function setTimes(
  path: Buffer,
  request: { atimeNs: string; mtimeNs: string },
  link: boolean,
): void {
  const atime = nsToSeconds(request.atimeNs);
  const mtime = nsToSeconds(request.mtimeNs);
  if (link) lutimesSync(path, atime, mtime);
  else utimesSync(path, atime, mtime);
}

/** Creates (or keeps) a folder and sets its owner, mode and times. */
export function makeDirectory(
  root: TargetRoot,
  request: RequestOf<'mkdir'>,
  canChown: boolean,
  warn: (warning: string) => void,
): Buffer | null {
  const placement = root.place(request.path, true);
  const existing = lstatOrNull(placement.full);
  let created = false;
  if (!existing?.isDirectory()) {
    if (existing) unlinkSync(placement.full);
    mkdirSync(placement.full, { mode: 0o700 });
    created = true;
  }
  if (canChown) chownSync(placement.full, request.uid, request.gid);
  chmodSync(placement.full, request.mode);
  setXattrs(placement.full, request.xattrs, warn);
  setTimes(placement.full, request, false);
  return created ? placement.dir : null;
}

/** Creates a symlink beside the target and renames it over, so the name never goes missing. */
export function makeSymlink(
  root: TargetRoot,
  request: RequestOf<'symlink'>,
  canChown: boolean,
  warn: (warning: string) => void,
): Buffer {
  if (request.target.includes('\0')) throw new P2VError('BAD_PATH', 'NUL in symlink target');
  const placement = root.place(request.path, true);
  const temp = root.tempBeside(placement, `l${randomBytes(6).toString('hex')}`);
  symlinkSync(Buffer.from(request.target, 'latin1'), temp);
  try {
    if (canChown) lchownSync(temp, request.uid, request.gid);
    setXattrs(temp, request.xattrs, warn);
    setTimes(temp, request, true);
    replaceWithSync(temp, placement.full);
  } catch (error) {
    tryUnlink(temp);
    throw error;
  }
  return placement.dir;
}

/** Makes `path` another name of the regular file at `existing`. */
export function makeHardLink(root: TargetRoot, request: RequestOf<'link'>): Buffer | null {
  const existing = root.place(request.existing, false);
  const info = lstatSync(existing.full);
  if (!info.isFile()) throw new P2VError('BAD_PATH', 'hard link to something not a regular file');
  const placement = root.place(request.path, true);
  const current = lstatOrNull(placement.full);
  if (current && current.ino === info.ino && current.dev === info.dev) return null;
  const temp = root.tempBeside(placement, `h${randomBytes(6).toString('hex')}`);
  linkSync(existing.full, temp);
  try {
    replaceWithSync(temp, placement.full);
  } catch (error) {
    tryUnlink(temp);
    throw error;
  }
  return placement.dir;
}

/** Sets owner, mode and times of an entry of the given kind. */
export function setMetadata(
  root: TargetRoot,
  request: RequestOf<'meta'>,
  canChown: boolean,
  warn: (warning: string) => void,
): void {
  const { full } = root.place(request.path, false);
  const info = lstatSync(full);
  const kindMatches =
    (request.kind === 'file' && info.isFile()) ||
    (request.kind === 'dir' && info.isDirectory()) ||
    (request.kind === 'symlink' && info.isSymbolicLink());
  if (!kindMatches) throw new P2VError('BAD_PATH', `not a ${request.kind}`);
  if (request.kind === 'symlink') {
    if (canChown) lchownSync(full, request.uid, request.gid);
    setXattrs(full, request.xattrs, warn);
    setTimes(full, request, true);
    return;
  }
  if (canChown) chownSync(full, request.uid, request.gid);
  chmodSync(full, request.mode);
  setXattrs(full, request.xattrs, warn);
  setTimes(full, request, false);
}

/** Sets an entry's extended attributes when the request carries them; what fails is said. */
function setXattrs(
  path: Buffer,
  xattrs: Xattr[] | undefined,
  warn: (warning: string) => void,
): void {
  if (!xattrs) return;
  const problem = applyXattrs(path, xattrs);
  if (problem) warn(`extended attributes: ${problem}`);
}

/** Removes an entry, a whole folder included; a symlink itself, never what it points to. */
export function removeEntry(
  root: TargetRoot,
  request: RequestOf<'remove'>,
): { full: Buffer; dir: Buffer } | null {
  let placement;
  try {
    placement = root.place(request.path, false);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  rmSync(placement.full, { recursive: true, force: true });
  return { full: placement.full, dir: placement.dir };
}

function tryUnlink(path: Buffer): void {
  try {
    unlinkSync(path);
  } catch {
    // never made or already gone
  }
}
