import { blockSizeFor, hashSmallFileSync, SMALL_FILE_MAX } from '../checksum/block-checksums.ts';
import type { ProbeResult } from '../protocol/messages.ts';
import type { AgentClient } from './agent-client.ts';
import { SignatureStream } from './signature-stream.ts';
import type { SyncItem } from './tree-sync.ts';
import type { SourceEntry } from './walk.ts';

/** A small file compared with its copy on the target by whole-file checksum. */
export interface Probe {
  /**
   * The source file's checksum, read once the agent's answer showed a copy of the same size;
   * null where it was not read (the copy differs anyway) or could not be.
   */
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
  /** The file's checksum as an earlier read vouches for it: no read here. */
  known: string | null | undefined;
}

/**
 * Asks the agent for its copies' checksums and sizes, many files in one request, and hashes a
 * source file only where the copy is a file of the same size and no earlier read vouches for the
 * file's checksum: a file the target lacks, or holds at another size, differs without a read
 * here, so a full copy does not hash its small files twice. Unchanged files, the most of a second
 * window, cost a share of one request and at most one read. Where a copy differs,
 * `wantsSignature` says so; the caller asks for the signature between two files (never from
 * here: the answer may come while another file's put is being sent), still ahead of the file. A
 * file the target does not have gets an empty signature made here.
 */
export function probeFiles(client: AgentClient, entries: readonly Probed[]): void {
  const probes = entries.map((entry): Probe => ({
    hash: entry.known ?? null,
    readFromMs: Date.now(),
    answer: Promise.resolve(null),
    wantsSignature: false,
  }));
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
          const { source, info } = entry.item as SourceEntry;
          if (theirs?.hash != null && theirs.size === Number(info.size)) {
            if (probe.hash === null) {
              probe.readFromMs = Date.now();
              try {
                probe.hash = hashSmallFileSync(source, SMALL_FILE_MAX);
              } catch {
                // Unreadable now: the file's own send says why.
              }
            }
            if (probe.hash === theirs.hash) return;
          }
          if (entry.signature) return;
          if (theirs?.hash === null) entry.signature = absent(blockSizeFor(Number(info.size)));
          else probe.wantsSignature = true;
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
