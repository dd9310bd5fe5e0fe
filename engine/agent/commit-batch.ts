import { closeSync, fsync, unlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import { P2VError } from '../../shared/errors.ts';
import type { ReceivedFile } from './apply-put.ts';
import { replaceWithSync } from './apply-put.ts';
import { applyJournal } from './in-place-journal.ts';
import { syncDirectory } from '../storage/durable-write.ts';
import type { TempJournal } from './temp-journal.ts';

const fsyncFd = promisify(fsync);

/** Files committed together at most; enough to share journal commits, few enough for open fds. */
const MAX_BATCH = 64;

/** A received file waiting for its commit, and who to tell when it is done. */
interface Waiting {
  key: string;
  /** A received file to fsync and rename, or null for an entry already in place. */
  file: ReceivedFile | null;
  /** The folder whose entries change, fsynced before `done`. */
  dir: Buffer;
  done: (error: Error | null) => Promise<void>;
  /** False once the session that sent the file was fenced by a newer one: it is not committed. */
  current: () => boolean;
}

/**
 * Group commit for received files. Each file is still fsynced before it is renamed over its
 * target, and its directory fsynced before it is acknowledged, but the fsyncs of a batch run
 * together (so the file system folds them into few journal commits) and each directory is
 * fsynced once per batch. A batch goes when it is full or when no more data is waiting, so
 * a lone file is not held back; the connection keeps being read while a batch commits.
 */
export class CommitBatch {
  private batch: Waiting[] = [];
  private inBatchOrFlushing = new Set<string>();
  /** Per folder, received files waiting to be renamed into it (which changes its times). */
  private renamesInto = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly journal: TempJournal) {}

  /**
   * Queues a received file; `done` answers the request once it is committed or failed. A file
   * whose session is no longer `current` when its batch commits is dropped.
   */
  add(
    key: string,
    file: ReceivedFile,
    done: (error: Error | null) => Promise<void>,
    current: () => boolean,
  ): void {
    this.batch.push({ key, file, dir: file.placement.dir, done, current });
    this.inBatchOrFlushing.add(key);
    if (file.kind === 'temp') this.countRename(file.placement.dir, 1);
  }

  /** Queues an entry already made (a folder, a link), answered once its folder is fsynced. */
  addMadeEntry(key: string, dir: Buffer, done: (error: Error | null) => Promise<void>): void {
    this.batch.push({ key, file: null, dir, done, current: () => true });
    this.inBatchOrFlushing.add(key);
  }

  /** Starts a commit if the batch is full, or if the peer has nothing more queued. */
  maybeFlush(peerIdle: boolean): void {
    if (this.batch.length >= MAX_BATCH || (peerIdle && this.batch.length > 0)) void this.flush();
  }

  /** Waits until a file for `key` (a target path) is committed, if one is pending. */
  async waitFor(key: string): Promise<void> {
    if (this.inBatchOrFlushing.has(key)) await this.flush();
  }

  /**
   * Waits until no received file is still to be renamed into folder `dir`: a rename changes the
   * folder's times, so its own times are set after. Files bound elsewhere are not waited for.
   */
  async waitForRenamesInto(dir: Buffer): Promise<void> {
    if (this.renamesInto.has(dir.toString('latin1'))) await this.flush();
  }

  private countRename(dir: Buffer, by: number): void {
    const key = dir.toString('latin1');
    const count = (this.renamesInto.get(key) ?? 0) + by;
    if (count > 0) this.renamesInto.set(key, count);
    else this.renamesInto.delete(key);
  }

  /** Commits everything pending and waits for it. */
  async waitAll(): Promise<void> {
    await this.flush();
  }

  private flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    if (batch.length > 0) this.chain = this.chain.then(() => this.commit(batch));
    return this.chain;
  }

  private async commit(batch: Waiting[]): Promise<void> {
    // The fsyncs wait on the disk, so they run on the thread pool, all at once; the renames and
    // closes are metadata calls of microseconds and run here, in order. An in-place file is
    // applied whole in this first step: its journal fsynced, its blocks written, it fsynced.
    const synced = await Promise.all(
      batch.map((item) => {
        if (!item.file) return null;
        const done =
          item.file.kind === 'temp'
            ? fsyncFd(item.file.fd)
            : commitInPlace(item.file, item.current);
        return done.then(
          () => null,
          (error: Error) => error,
        );
      }),
    );
    const failures = new Map<Waiting, Error>();
    const dirs = new Map<string, Buffer>();
    for (const [i, item] of batch.entries()) {
      const file = item.file;
      if (file?.kind === 'in-place') {
        const error = synced[i];
        if (error) failures.set(item, error);
      } else if (file) {
        try {
          closeSync(file.fd);
          const error = synced[i];
          if (error) throw error;
          if (!item.current()) throw new P2VError('CONNECTION_LOST', 'a newer session took over');
          replaceWithSync(file.temp, file.placement.full);
        } catch (failure) {
          failures.set(item, failure as Error);
          try {
            unlinkSync(file.temp);
          } catch {
            // never created or already gone
          }
        }
        this.journal.remove(file.temp);
        this.countRename(file.placement.dir, -1);
      }
      if (!failures.has(item)) dirs.set(item.dir.toString('latin1'), item.dir);
    }
    const dirErrors = new Map<string, Error>();
    await Promise.all(
      [...dirs].map(([key, dir]) =>
        syncDirectory(dir).catch((error: Error) => void dirErrors.set(key, error)),
      ),
    );
    for (const item of batch) {
      this.inBatchOrFlushing.delete(item.key);
      const error = failures.get(item) ?? dirErrors.get(item.dir.toString('latin1')) ?? null;
      await item.done(error);
    }
  }
}

/**
 * Makes an in-place file's journal durable, then (if its session still writes) applies it.
 * Killed after the journal's fsync, the next start finishes the apply from it.
 */
async function commitInPlace(
  file: ReceivedFile & { kind: 'in-place' },
  current: () => boolean,
): Promise<void> {
  try {
    await file.redo.commit();
  } catch (error) {
    file.redo.abandon();
    throw error;
  }
  if (!current()) {
    file.redo.abandon();
    throw new P2VError('CONNECTION_LOST', 'a newer session took over');
  }
  file.warning = await applyJournal(file.redo.path);
}
