import { blockSizeFor, hashSmallFileSync } from '../checksum/block-checksums.ts';
import type { ProbeResult } from '../protocol/messages.ts';
import type { AgentClient } from './agent-client.ts';
import { SignatureStream } from './signature-stream.ts';
import type { SyncItem } from './tree-sync.ts';
import type { SourceEntry } from './walk.ts';

/** Files up to this size are compared by whole-file checksum before any signature is asked. */
export const PROBE_MAX_SIZE = 1024 * 1024;

/** A small file compared with its copy on the target by whole-file checksum. */
export interface Probe {
  /** The source file's checksum, read when the probe was made; null if it could not be read. */
  hash: string | null;
  /** When that read began (wall clock). */
  readFromMs: number;
  /** What the agent said of its copy; null when it could not say (the signature decides). */
  answer: Promise<ProbeResult | null>;
  /** Set once answered: the copy differs and its signature is still to be asked for. */
  wantsSignature: boolean;
}

/** What `probeFiles` needs of a queued item, and fills in. */
export interface Probed {
  item: SyncItem;
  signature: SignatureStream | null;
  probe: Probe | null;
}

/**
 * Reads and hashes each small file here, then asks the agent for its copies' checksums in one
 * request. Unchanged files, the most of a second window, then cost a share of one request each.
 * Where a copy differs, `wantsSignature` says so; the caller asks for the signature between two
 * files (never from here: the answer may come while another file's put is being sent), still
 * ahead of the file. A file the target does not have gets an empty signature made here.
 */
export function probeFiles(client: AgentClient, entries: readonly Probed[]): void {
  const probes = entries.map((entry): Probe => {
    const readFromMs = Date.now();
    let hash: string | null = null;
    try {
      hash = hashSmallFileSync((entry.item as SourceEntry).source, PROBE_MAX_SIZE);
    } catch {
      // Unreadable now: the file's own send says why.
    }
    return { hash, readFromMs, answer: Promise.resolve(null), wantsSignature: false };
  });
  const answered = client
    .request<'probed'>({
      t: 'probe',
      paths: entries.map((entry) => (entry.item as SourceEntry).target),
    })
    .then(
      ({ results }) => {
        entries.forEach((entry, i) => {
          const theirs = results[i];
          const probe = probes[i] as Probe;
          if (entry.signature || (theirs?.hash != null && theirs.hash === probe.hash)) return;
          if (theirs?.hash === null) {
            const size = Number((entry.item as SourceEntry).info.size);
            entry.signature = absent(blockSizeFor(size));
          } else probe.wantsSignature = true;
        });
        return results;
      },
      () => null,
    );
  entries.forEach((entry, i) => {
    const probe = probes[i] as Probe;
    probe.answer = answered.then((results) => results?.[i] ?? null);
    entry.probe = probe;
  });
}

/** The signature of a file the target does not hold: no blocks to reuse. */
function absent(blockSize: number): SignatureStream {
  const signature = new SignatureStream();
  signature.setHead({ exists: false, size: 0, blockSize });
  signature.end();
  return signature;
}
