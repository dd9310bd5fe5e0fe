/**
 * File names are bytes on Linux, not text. The engine carries every path as a "raw path": a
 * string with one char per byte (latin1), which survives JSON and joins with '/' unchanged, and
 * turns back into the exact bytes for the file system.
 */
export type RawPath = string;

/** The Buffer form the fs module takes, with the exact bytes of the name. */
export function toFsPath(raw: RawPath): Buffer {
  return Buffer.from(raw, 'latin1');
}

/** A raw path from a name the fs module returned as a Buffer. */
export function fromFsName(name: Buffer): RawPath {
  return name.toString('latin1');
}

/** A raw path from an ordinary (UTF-8) string, such as a command-line argument. */
export function fromText(text: string): RawPath {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Human-readable text for messages and reports (invalid UTF-8 shows as U+FFFD). */
export function displayPath(raw: RawPath): string {
  return Buffer.from(raw, 'latin1').toString('utf8');
}

/** Joins raw path parts with '/', the way path.posix.join would for byte strings. */
export function joinRaw(...parts: RawPath[]): RawPath {
  const joined = parts.filter((p) => p.length > 0).join('/');
  return joined.replace(/\/{2,}/g, '/');
}

/** The parent of a relative raw path, or '' at the top. */
export function parentRaw(raw: RawPath): RawPath {
  const i = raw.lastIndexOf('/');
  return i <= 0 ? '' : raw.slice(0, i);
}
