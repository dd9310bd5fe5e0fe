import { lstatSync, type BigIntStats } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { P2VError } from '../../shared/errors.ts';
import { readXattrs, xattrDigest, type Xattr } from '../paths/xattrs.ts';
import type { EntryMeta } from '../protocol/messages.ts';
import { blockSizeFor, SMALL_FILE_MAX } from '../checksum/block-checksums.ts';
import { displayPath, fromFsName, type RawPath } from '../paths/raw-path.ts';
import { wireTimes } from '../paths/times.ts';
import type { AgentClient } from './agent-client.ts';
import { sendFileDelta, type FileDeltaResult } from './file-delta.ts';
import { probeFiles, type Probe } from './probe-files.ts';
import type { SignatureStream } from './signature-stream.ts';
import type { SourceEntry } from './walk.ts';

const LOOKAHEAD = 64;
/** Small files waiting before their checksums are asked for in one probe. */
const PROBE_BATCH = 32;
/** Operations written but not yet acknowledged before the sender waits. */
const MAX_IN_FLIGHT = 512;

/** One thing to make true on the target: an entry as it is on the source, or a removal. */
export type SyncItem = SourceEntry | { source: null; target: RawPath; info: null };

/** What the caller learns about each item. */
export interface SyncHooks {
  /**
   * The target now holds the item as read; `stable` is false if it changed while being read;
   * `readFromMs` is when a file's read began (wall clock).
   */
  applied(
    item: SyncItem,
    outcome: {
      hash: string | null;
      stable: boolean;
      readFromMs?: number;
      xattrs?: string;
      /** A hard link made to this name of the same inode, which holds its checksum. */
      linkedTo?: RawPath;
    },
  ): void;
  /** The target took the item but said something about it (attributes it could not set). */
  warned?(item: SyncItem, warning: string): void;
  /** The item could not be synced this time; it stays to be tried again. */
  failed(item: SyncItem, error: Error): void;
  /** Bytes of the source read so far for the current file, for progress. */
  progress(item: SyncItem, bytesDone: number): void;
  /** The primary path on the target for a hard-linked inode already sent, if any. */
  hardLinkPrimary(item: SourceEntry): RawPath | null;
  /** Send this file whole, ignoring the target's copy (after a checksum mismatch). */
  wholeFile?(item: SourceEntry): boolean;
  /**
   * The file's checksum as an earlier read vouches for it while its stat holds, if one does: the
   * agent is asked whether its copy has it, and the file is read only if not.
   */
  knownHash?(item: SourceEntry): string | null;
}

/** An item read from the caller, with what was asked ahead about its copy on the target. */
interface Queued {
  item: SyncItem;
  signature: SignatureStream | null;
  probe: Probe | null;
  /** What an earlier read vouches for (`knownHash`), looked up once; undefined until then. */
  known: string | null | undefined;
}

/** Totals for one pass. */
export interface SyncTotals {
  items: number;
  files: number;
  scannedBytes: number;
  dirtyBytes: number;
  wireBytes: number;
  removed: number;
  failed: number;
  /** Files found unchanged by a checksum an earlier read vouched for: not read this pass. */
  known: number;
  knownBytes: number;
}

/**
 * Makes the target match the given items, in the order given (each directory before its
 * contents). Everything is pipelined: signatures of small files are asked ahead, puts and
 * metadata are written without waiting, and answers are collected as they come.
 */
export async function syncItems(
  client: AgentClient,
  items: AsyncIterable<SyncItem> | Iterable<SyncItem>,
  hooks: SyncHooks,
  mode: 'delta' | 'whole' = 'delta',
  signal?: AbortSignal,
): Promise<SyncTotals> {
  const totals: SyncTotals = {
    items: 0,
    files: 0,
    scannedBytes: 0,
    dirtyBytes: 0,
    wireBytes: 0,
    removed: 0,
    failed: 0,
    known: 0,
    knownBytes: 0,
  };
  const wireAtStart = client.bytesOnWire;
  const inFlight: Promise<void>[] = [];
  const directories: SourceEntry[] = [];
  const queue: Queued[] = [];
  const iterator = (
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]()
  ) as AsyncIterator<SyncItem> | Iterator<SyncItem>;
  let exhausted = false;
  let connectionError: Error | null = null;

  const track = (item: SyncItem, promise: Promise<unknown>, onDone: () => void): void => {
    const done = (answer: unknown): void => {
      const warning = (answer as { warning?: string } | null)?.warning;
      if (warning) hooks.warned?.(item, warning);
      onDone();
    };
    const settled = promise.then(done, (error: Error) => {
      if (
        error instanceof P2VError &&
        (error.code === 'CONNECTION_LOST' || error.code === 'BAD_FRAME')
      ) {
        connectionError ??= error;
        return;
      }
      totals.failed++;
      hooks.failed(item, error);
    });
    inFlight.push(settled);
  };

  const fill = async (): Promise<void> => {
    while (!exhausted && queue.length < LOOKAHEAD) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      queue.push({ item: next.value, signature: null, probe: null, known: undefined });
    }
    const toProbe: Queued[] = [];
    for (const [index, entry] of queue.entries()) {
      const info = entry.item.info;
      if (!info || !info.isFile() || entry.signature) continue;
      const named = entry.item as SourceEntry;
      const big = info.size > SMALL_FILE_MAX;
      if (entry.probe) {
        if (entry.probe.wantsSignature) {
          // A big file's signature is asked for when it is next, never ahead (its size in memory).
          if (big && index > 0) break;
          entry.signature = client.requestSignature(named.target, blockSizeFor(Number(info.size)));
        }
        continue;
      }
      const probing = mode === 'delta' && named.baseFrom === undefined && !hooks.wholeFile?.(named);
      // Each fill looks over the whole lookahead: the stat key is built once a file, not each time.
      if (entry.known === undefined)
        entry.known = probing ? (hooks.knownHash?.(named) ?? null) : null;
      if (index > 0 && big && entry.known === null) break;
      if (hooks.hardLinkPrimary(named) !== null) continue;
      if (probing && (!big || entry.known !== null)) {
        toProbe.push(entry);
        continue;
      }
      entry.signature = client.requestSignature(
        named.baseFrom ?? named.target,
        blockSizeFor(Number(info.size)),
      );
    }
    // Probed in batches, but at once when the next item waits for it or no more will come.
    if (toProbe.length >= PROBE_BATCH || toProbe[0] === queue[0] || (exhausted && toProbe[0]))
      probeFiles(client, toProbe);
  };

  for (;;) {
    await fill();
    const head = queue.shift();
    if (!head) break;
    if (connectionError) throw connectionError;
    if (signal?.aborted) throw new P2VError('CANCELLED');
    while (inFlight.length > MAX_IN_FLIGHT) await inFlight.shift();
    totals.items++;
    const { item } = head;
    try {
      await syncOne(head);
    } catch (error) {
      if (
        error instanceof P2VError &&
        (error.code === 'CONNECTION_LOST' || error.code === 'BAD_FRAME')
      )
        throw error;
      if (!client.conn.closed) {
        totals.failed++;
        hooks.failed(item, error as Error);
      } else throw new P2VError('CONNECTION_LOST', String((error as Error).message));
    }
  }

  async function syncOne(queued: Queued): Promise<void> {
    const { item } = queued;
    if (item.source === null) {
      totals.removed++;
      track(item, client.request({ t: 'remove', path: item.target }), () =>
        hooks.applied(item, { hash: null, stable: true }),
      );
      return;
    }
    const { info, target } = item;
    const owner = { uid: Number(info.uid), gid: Number(info.gid), ...wireTimes(info) };
    // Read before the entry goes: labels, capabilities and ACLs travel with it.
    let attributes: Xattr[] = [];
    try {
      attributes = readXattrs(item.source);
    } catch (error) {
      hooks.warned?.(item, `extended attributes not read: ${(error as Error).message}`);
    }
    const digest = xattrDigest(attributes);
    if (info.isDirectory()) {
      directories.push(item);
      track(
        item,
        client.request({
          t: 'mkdir',
          path: target,
          mode: Number(info.mode & 0o7777n),
          ...owner,
          xattrs: attributes,
        }),
        () => hooks.applied(item, { hash: null, stable: true, xattrs: digest }),
      );
      return;
    }
    if (info.isSymbolicLink()) {
      const link = await readlink(item.source, { encoding: 'buffer' });
      track(
        item,
        client.request({
          t: 'symlink',
          path: target,
          target: fromFsName(link),
          ...owner,
          xattrs: attributes,
        }),
        () => hooks.applied(item, { hash: null, stable: true, xattrs: digest }),
      );
      return;
    }
    if (!info.isFile()) {
      throw new P2VError('UNSUPPORTED_FILE', displayPath(fromFsName(item.source)));
    }
    const primary = hooks.hardLinkPrimary(item);
    if (primary !== null) {
      // Another name of a file already sent: it counts as a file done, with no bytes. A
      // signature asked ahead (before the first name was sent) is not needed.
      void queued.signature?.drain().catch(() => undefined);
      hooks.progress(item, 0);
      track(item, client.request({ t: 'link', path: target, existing: primary }), () =>
        hooks.applied(item, { hash: null, stable: true, linkedTo: primary }),
      );
      return;
    }
    totals.files++;
    let result: FileDeltaResult | null = null;
    let readFromMs = Date.now();
    const probe = queued.probe;
    if (probe) {
      const theirs = await probe.answer;
      if (probe.hash !== null && theirs?.hash === probe.hash) {
        // The target holds these bytes already: no signature, no read beyond the probe's.
        if (queued.known === probe.hash) {
          totals.known++;
          totals.knownBytes += Number(info.size);
        }
        result = {
          dirtyBytes: 0,
          hash: probe.hash,
          unchanged: true,
          applied: null,
          agentMeta: theirs.meta ?? null,
        };
        readFromMs = probe.readFromMs;
      }
    }
    if (!result) {
      // A probe that found a difference asked for the signature already.
      const sig =
        queued.signature ??
        client.requestSignature(item.baseFrom ?? target, blockSizeFor(Number(info.size)));
      readFromMs = Date.now();
      try {
        result = await sendFileDelta(
          client,
          sig,
          item.source,
          target,
          info,
          hooks.wholeFile?.(item) ? 'whole' : mode,
          attributes,
          item.baseFrom,
        );
      } catch (error) {
        await sig.drain().catch(() => undefined);
        throw error;
      }
    }
    totals.scannedBytes += Number(info.size);
    totals.dirtyBytes += result.dirtyBytes;
    hooks.progress(item, Number(info.size));
    const after = statOrNull(item.source);
    const stable =
      after !== null &&
      after.size === info.size &&
      after.mtimeNs === info.mtimeNs &&
      after.ctimeNs === info.ctimeNs &&
      after.ino === info.ino;
    const outcome = { hash: result.hash, stable, readFromMs, xattrs: digest };
    if (result.applied) {
      track(item, result.applied, () => hooks.applied(item, outcome));
    } else if (result.unchanged && sameMeta(result.agentMeta, info, digest)) {
      // Content, owner, mode, times and attributes all match: nothing to write, nothing to sync.
      track(item, Promise.resolve(null), () => hooks.applied(item, outcome));
    } else {
      track(
        item,
        client.request({
          t: 'meta',
          path: target,
          kind: 'file',
          mode: Number(info.mode & 0o7777n),
          ...owner,
          xattrs: attributes,
        }),
        () => hooks.applied(item, outcome),
      );
    }
  }

  // Children change their directory's mtime, so directory times are set again last, deepest first.
  for (const dir of directories.reverse()) {
    const { info } = dir;
    track(
      dir,
      client.request({
        t: 'meta',
        path: dir.target,
        kind: 'dir',
        mode: Number(info.mode & 0o7777n),
        uid: Number(info.uid),
        gid: Number(info.gid),
        ...wireTimes(info),
      }),
      () => undefined,
    );
  }
  await Promise.all(inFlight);
  if (connectionError) throw connectionError;
  totals.wireBytes = client.bytesOnWire - wireAtStart;
  return totals;
}

/**
 * Whether the agent's copy has the metadata a `meta` request would set. Times compare to the
 * microsecond, the precision the agent sets them with (docs/decisions.md).
 */
function sameMeta(agent: EntryMeta | null, info: BigIntStats, xattrs: string): boolean {
  if (!agent) return false;
  // The agent sets times as a double of seconds: a value near a microsecond's edge can land
  // one microsecond over (seen in a fresh-clone run), so one microsecond apart counts as equal.
  const near = (a: string | bigint, b: string | bigint): boolean => {
    const apart = BigInt(a) / 1000n - BigInt(b) / 1000n;
    return apart >= -1n && apart <= 1n;
  };
  return (
    agent.mode === Number(info.mode & 0o7777n) &&
    agent.uid === Number(info.uid) &&
    agent.gid === Number(info.gid) &&
    near(agent.mtimeNs, info.mtimeNs) &&
    near(agent.atimeNs, info.atimeNs) &&
    agent.xattrs === xattrs
  );
}

function statOrNull(path: Buffer): BigIntStats | null {
  try {
    return lstatSync(path, { bigint: true });
  } catch {
    return null;
  }
}
