import { createReadStream, type BigIntStats, type Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RawPath } from '../paths/raw-path.ts';
import { statKey } from '../paths/stat-key.ts';
import type { IndexEntry } from './source-index.ts';

/** Earlier migrations' indexes read, newest first: enough for a second window, bounded in memory. */
const MOST_INDEXES = 4;

/**
 * Whole-file checksums this machine's earlier migrations read from their source files, by source
 * path, each valid while the file's device, inode, size, mtime and ctime are what they were at
 * that read (ctime cannot be set back from user space; the migration's own index trusts the same
 * stat between rounds). A new migration onto a target that holds an older copy then asks the
 * agent for its copy's checksum and reads only the files whose stat moved, as rsync's quick check
 * skips files, but against the copy's content rather than its times. Read from the index logs the
 * earlier migrations left: in this state folder (before a fresh start clears it), in the folders
 * `--restart` archived below it, and in the other migrations' folders beside it. Entries read
 * racily (modified within a timestamp tick of the read) or that changed while read never count.
 */
export class KnownHashes {
  static readonly none = new KnownHashes(new Map());

  private constructor(private readonly bySource: Map<RawPath, string>) {}

  static async load(stateDir: string): Promise<KnownHashes> {
    const logs = await newestFirst(await candidateLogs(stateDir));
    const bySource = new Map<RawPath, string>();
    for (const log of logs.slice(0, MOST_INDEXES)) {
      for (const [source, value] of await readIndexLog(log))
        if (!bySource.has(source)) bySource.set(source, value);
    }
    return new KnownHashes(bySource);
  }

  /** The checksum an earlier read of `source` gave, if its stat is still `info`; null if not. */
  hashOf(source: RawPath, info: BigIntStats): string | null {
    const known = this.bySource.get(source);
    if (!known) return null;
    const space = known.indexOf(' ');
    return known.slice(0, space) === keyOf(info) ? known.slice(space + 1) : null;
  }
}

/** The stat key with the device: another file system's inode numbers are another series. */
function keyOf(info: Parameters<typeof statKey>[0] & { dev: bigint | string }): string {
  return `${info.dev}:${statKey(info)}`;
}

/** Index logs of earlier migrations: here, archived below here, and in the folders beside. */
async function candidateLogs(stateDir: string): Promise<string[]> {
  const folders = [stateDir];
  const archived = (await listFolders(stateDir)).filter((name) => name.startsWith('previous-'));
  folders.push(...archived.map((name) => join(stateDir, name)));
  const root = dirname(stateDir);
  const own = basename(stateDir);
  folders.push(
    ...(await listFolders(root)).filter((name) => name !== own).map((name) => join(root, name)),
  );
  return folders.map((folder) => join(folder, 'index.jsonl'));
}

async function listFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

/**
 * The logs this user could have written alone, newest first. A folder beside the state folder
 * may be anyone's (`--state /tmp/x` puts it among others'), and a planted log could vouch for a
 * stale copy on the target; so the log and its folder must be this user's, writable by no other.
 */
async function newestFirst(files: string[]): Promise<string[]> {
  const stamped = await Promise.all(
    files.map(async (file) => {
      const [info, folder] = await Promise.all([
        lstat(file).catch(() => null),
        lstat(dirname(file)).catch(() => null),
      ]);
      if (!info?.isFile() || !folder?.isDirectory() || !ownOnly(info) || !ownOnly(folder))
        return null;
      return { file, mtimeMs: info.mtimeMs };
    }),
  );
  return stamped
    .filter((s): s is { file: string; mtimeMs: number } => s !== null)
    .sort((a, b) => b.mtimeMs - a.mtimeMs)
    .map((s) => s.file);
}

/** Owned by this process's user and writable by neither group nor others. */
function ownOnly(info: Stats): boolean {
  return info.uid === (process.getuid?.() ?? info.uid) && (info.mode & 0o022) === 0;
}

/**
 * One index log replayed (later lines replace earlier ones, null removes), line by line so a big
 * index is never one string in memory; a torn or foreign line is skipped.
 */
async function readIndexLog(file: string): Promise<Map<RawPath, string>> {
  const byTarget = new Map<RawPath, [RawPath, string] | null>();
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const record = parse(line);
      if (!record) continue;
      const [target, entry] = record;
      byTarget.set(
        target,
        entry && vouches(entry) ? [entry.source, `${keyOf(entry)} ${entry.hash}`] : null,
      );
    }
  } catch {
    // Unreadable (removed meanwhile, no permission): it vouches for nothing.
  }
  const bySource = new Map<RawPath, string>();
  for (const value of byTarget.values()) if (value) bySource.set(value[0], value[1]);
  return bySource;
}

function parse(line: string): [RawPath, IndexEntry | null] | null {
  try {
    const record = JSON.parse(line) as unknown;
    if (!Array.isArray(record) || typeof record[0] !== 'string') return null;
    return record as [RawPath, IndexEntry | null];
  } catch {
    return null;
  }
}

/** Whether the entry's checksum was read from a file that stood still around the read. */
function vouches(entry: IndexEntry): entry is IndexEntry & { hash: string } {
  return (
    entry.kind === 'file' &&
    typeof entry.hash === 'string' &&
    entry.hash.length > 0 &&
    typeof entry.source === 'string' &&
    entry.racy !== true &&
    entry.mtimeNs !== '-1' &&
    typeof entry.dev === 'string'
  );
}
