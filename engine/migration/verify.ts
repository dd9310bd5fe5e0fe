import { lstat } from 'node:fs/promises';
import type { MigrationEvent } from '../../shared/events.ts';
import { hashFile } from '../checksum/block-checksums.ts';
import { displayPath, type RawPath } from '../paths/raw-path.ts';
import { sameStat, type SourceIndex } from '../record/source-index.ts';
import type { AgentClient } from '../source/agent-client.ts';
import { ProgressMeter } from './progress-meter.ts';

const BATCH = 256;

/** The outcome of comparing whole-file checksums on both sides. */
export interface VerifyResult {
  files: number;
  mismatches: RawPath[];
}

/**
 * Compares every tracked file's whole-file checksum on the source and the target. In 'cached'
 * mode each side reuses a checksum it computed while sending or applying, as long as the file's
 * inode, size, mtime and ctime are unchanged; 'full' re-reads everything on both sides.
 */
export async function verifyTarget(
  client: AgentClient,
  index: SourceIndex,
  mode: 'cached' | 'full',
  emit: (event: MigrationEvent) => void,
): Promise<VerifyResult> {
  const files = [...index.entries].filter(([, entry]) => entry.kind === 'file');
  const bytes = files.reduce((sum, [, entry]) => sum + Number(entry.size), 0);
  const meter = new ProgressMeter('verify', bytes, files.length, emit);
  const mismatches: RawPath[] = [];
  for (let start = 0; start < files.length; start += BATCH) {
    const batch = files.slice(start, start + BATCH);
    const remote = client.request<'hashes'>({
      t: 'hash',
      paths: batch.map(([target]) => target),
      full: mode === 'full',
    });
    // Both sides hash at once; awaited together, so a lost connection is never left unhandled.
    const [answer, local] = await Promise.all([
      remote,
      Promise.all(
        batch.map(async ([, entry]) => {
          const source = Buffer.from(entry.source, 'latin1');
          const info = await lstat(source, { bigint: true }).catch(() => null);
          if (!info?.isFile()) return null;
          if (mode === 'cached' && entry.hash && sameStat(entry, info)) return entry.hash;
          return hashFile(source);
        }),
      ),
    ]);
    batch.forEach(([target, entry], i) => {
      const theirs = answer.results[i]?.hash ?? null;
      if (local[i] === null || theirs === null || local[i] !== theirs) mismatches.push(target);
      meter.add(Number(entry.size), 1, displayPath(target));
    });
  }
  meter.finish();
  return { files: files.length, mismatches };
}
