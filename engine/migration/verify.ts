import { lstat } from 'node:fs/promises';
import type { MigrationEvent } from '../../shared/events.ts';
import { hashFile } from '../checksum/block-checksums.ts';
import { displayPath, type RawPath } from '../paths/raw-path.ts';
import { sameStat, type IndexEntry, type SourceIndex } from '../record/source-index.ts';
import type { AgentClient } from '../source/agent-client.ts';
import { ProgressMeter } from './progress-meter.ts';

const BATCH = 256;
const BATCHES_IN_FLIGHT = 4;

/** The outcome of comparing whole-file checksums on both sides. */
export interface VerifyResult {
  files: number;
  mismatches: RawPath[];
}

/** Not comparable: the source changed since it was sent and its checksum is not known. */
const UNKNOWN = Symbol('unknown');

type Expected = (entry: IndexEntry) => Promise<string | null | typeof UNKNOWN>;

/**
 * Compares every tracked file's whole-file checksum on the source and the target. In 'cached'
 * mode each side reuses a checksum it computed while sending or applying, as long as the file's
 * inode, size, mtime and ctime are unchanged and the file was not modified within a timestamp
 * tick of its read (racy: the source reads it again); 'full' re-reads everything on both sides.
 */
export function verifyTarget(
  client: AgentClient,
  index: SourceIndex,
  mode: 'cached' | 'full',
  emit: (event: MigrationEvent) => void,
): Promise<VerifyResult> {
  return compareTarget(client, index, mode === 'full', 'verify', emit, async (entry) => {
    const source = Buffer.from(entry.source, 'latin1');
    const info = await lstat(source, { bigint: true }).catch(() => null);
    if (!info?.isFile()) return null;
    if (mode === 'cached' && entry.hash && !entry.racy && sameStat(entry, info)) return entry.hash;
    return hashFile(source);
  });
}

/**
 * Compares what the target holds with what was sent to it, while the source keeps running: a
 * target that did not write the files itself (a VM booted from an image of them) reads each one
 * once, so the files it changed on its own are found and sent again in the rounds, and its
 * checksum cache is warm for the cutover's verification. A file changed on the source since it
 * was sent, whose sent checksum is not known, is left to the rounds and the verification.
 */
export function checkAgainstSent(
  client: AgentClient,
  index: SourceIndex,
  emit: (event: MigrationEvent) => void,
): Promise<VerifyResult> {
  return compareTarget(client, index, false, 'vm-check', emit, async (entry) => {
    if (entry.hash) return entry.hash;
    const source = Buffer.from(entry.source, 'latin1');
    const info = await lstat(source, { bigint: true }).catch(() => null);
    return info?.isFile() && sameStat(entry, info) ? hashFile(source) : UNKNOWN;
  });
}

async function compareTarget(
  client: AgentClient,
  index: SourceIndex,
  full: boolean,
  phase: 'verify' | 'vm-check',
  emit: (event: MigrationEvent) => void,
  expected: Expected,
): Promise<VerifyResult> {
  const files = [...index.entries].filter(([, entry]) => entry.kind === 'file');
  const bytes = files.reduce((sum, [, entry]) => sum + Number(entry.size), 0);
  const meter = new ProgressMeter(phase, bytes, files.length, emit);
  const mismatches: RawPath[] = [];
  const compareBatch = async (start: number): Promise<void> => {
    const batch = files.slice(start, start + BATCH);
    const remote = client.request<'hashes'>({
      t: 'hash',
      paths: batch.map(([target]) => target),
      full,
    });
    // Both sides hash at once; awaited together, so a lost connection is never left unhandled.
    const [answer, local] = await Promise.all([
      remote,
      Promise.all(batch.map(([, entry]) => expected(entry))),
    ]);
    batch.forEach(([target, entry], i) => {
      const ours = local[i];
      const theirs = answer.results[i]?.hash ?? null;
      if (ours !== UNKNOWN && (ours === null || theirs === null || ours !== theirs))
        mismatches.push(target);
      meter.add(Number(entry.size), 1, displayPath(target));
    });
  };
  // A few batches in flight: the agent answers one while the source checks the next, instead
  // of each side waiting on the other batch by batch (this runs inside the downtime).
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  for (let start = 0; start < files.length && failure === null; start += BATCH) {
    const done: Promise<void> = compareBatch(start).then(
      () => void inFlight.delete(done),
      (error: unknown) => {
        failure ??= error;
        inFlight.delete(done);
      },
    );
    inFlight.add(done);
    if (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== null) throw failure;
  mismatches.sort();
  meter.finish();
  return { files: files.length, mismatches };
}
