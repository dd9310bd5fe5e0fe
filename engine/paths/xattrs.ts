import { createHash } from 'node:crypto';
import type * as XattrAddon from '@napi-rs/xattr';
import { loadNativeAddon } from './native-addon.ts';

/** The name the one-file agent carries the native xattr addon under (scripts/build-agent.js). */
export const XATTR_ASSET = 'xattr.node';

/** One extended attribute; the value in base64, as it travels. */
export interface Xattr {
  name: string;
  value: string;
}

/**
 * What is copied: user attributes, trusted ones (root only), the security namespace (SELinux
 * labels, file capabilities, IMA) and POSIX ACLs, which the kernel keeps as system attributes.
 */
const COPIED = /^(user\.|trusted\.|security\.|system\.posix_acl_(access|default)$)/;

let addon: typeof XattrAddon | null | undefined;

/** The native module, or null where it cannot load (another platform): attributes are then not copied. */
function xattr(): typeof XattrAddon | null {
  if (addon === undefined) {
    try {
      addon = loadNativeAddon<typeof XattrAddon>('@napi-rs/xattr', XATTR_ASSET);
    } catch {
      addon = null;
    }
  }
  return addon;
}

/**
 * The path as the addon takes it (a UTF-8 string), or null for a name that is not UTF-8: the
 * addon cannot be handed those bytes, so such an entry's attributes are not copied.
 */
function textPath(path: Buffer): string | null {
  const text = path.toString('utf8');
  return Buffer.from(text, 'utf8').equals(path) ? text : null;
}

/** Why an entry's attributes could not be read or set, for a warning. */
export class XattrProblem extends Error {}

/**
 * An entry's extended attributes, sorted by name, never following a symlink; [] where the file
 * system keeps none. Throws XattrProblem when they exist but cannot be read (a name that is not
 * UTF-8, no native module).
 */
export function readXattrs(path: Buffer): Xattr[] {
  const lib = xattr();
  if (!lib) return [];
  const text = textPath(path);
  if (text === null) throw new XattrProblem('the name is not UTF-8');
  let names: string[];
  try {
    names = lib.listAttributesSync(text);
  } catch (error) {
    if (unsupported(error)) return [];
    throw error;
  }
  const out: Xattr[] = [];
  for (const name of names.filter((n) => COPIED.test(n)).sort()) {
    const value = lib.getAttributeSync(text, name);
    if (value) out.push({ name, value: value.toString('base64') });
  }
  return out;
}

/**
 * Sets exactly `wanted` on an entry (what it has beyond is removed), never following a symlink.
 * Returns what could not be set, in words (a file system without attributes, a namespace only
 * root may write), or null when all is set.
 */
export function applyXattrs(path: Buffer, wanted: Xattr[]): string | null {
  const lib = xattr();
  if (!lib) return wanted.length > 0 ? 'extended attributes are not supported here' : null;
  const text = textPath(path);
  if (text === null) return wanted.length > 0 ? 'the name is not UTF-8' : null;
  const problems: string[] = [];
  let present: string[] = [];
  try {
    present = lib.listAttributesSync(text).filter((n) => COPIED.test(n));
  } catch (error) {
    if (!unsupported(error)) throw error;
    return wanted.length > 0 ? 'the file system keeps no extended attributes' : null;
  }
  const keep = new Set(wanted.map((x) => x.name));
  for (const name of present) {
    if (keep.has(name)) continue;
    try {
      lib.removeAttributeSync(text, name);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  for (const { name, value } of wanted) {
    const bytes = Buffer.from(value, 'base64');
    // Set only what differs: a set changes the ctime, and on SELinux a relabel needs rights.
    if (present.includes(name) && lib.getAttributeSync(text, name)?.equals(bytes)) continue;
    try {
      lib.setAttributeSync(text, name, bytes);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

/** A short digest of an entry's attributes ('' for none), so both sides compare them cheaply. */
export function xattrDigest(list: Xattr[]): string {
  if (list.length === 0) return '';
  const hash = createHash('sha256');
  for (const { name, value } of list) hash.update(`${name}\u0000${value}\u0000`);
  return hash.digest('hex').slice(0, 32);
}

function unsupported(error: unknown): boolean {
  return /not supported|ENOTSUP|EOPNOTSUPP/i.test(String((error as Error)?.message ?? error));
}
