import watcher from '@parcel/watcher';
import { EventEmitter } from 'node:events';
import { dirname, join } from 'node:path';
import type { RawPath } from '../paths/raw-path.ts';
import { JsonLog } from './json-log.ts';

/** A dirty path as taken for a round: the path and the event count it had then. */
export interface TakenPath {
  source: RawPath;
  seq: number;
}

/**
 * The record file of claim 2: the source paths that changed since they were last sent. Fed by a
 * file system watcher that starts before the full copy, persisted as a log in the state dir, and
 * cleared per path only when the target acknowledged the version read after the last event.
 */
export class ChangeRecord {
  private readonly dirty = new Map<RawPath, number>();
  private seq = 0;
  private readonly subscriptions: watcher.AsyncSubscription[] = [];
  /** Emits 'mark' with each raw source path recorded, for whoever needs to know when. */
  readonly events = new EventEmitter();
  /** Watcher errors and lossy names since the last rescan: the next rescan must not be skipped. */
  lostEvents = 0;
  /** False when the watcher could not start: every round then re-scans. */
  watching = false;
  private constructor(private readonly log: JsonLog) {}

  static async open(stateDir: string): Promise<ChangeRecord> {
    const record = new ChangeRecord(new JsonLog(join(stateDir, 'record.jsonl')));
    for (const line of await record.log.read()) {
      const [op, path] = line as ['+' | '-', RawPath];
      if (op === '+') record.dirty.set(path, ++record.seq);
      else record.dirty.delete(path);
    }
    await record.compact();
    return record;
  }

  /**
   * Watches source folders; `ignored` drops paths the migration leaves out. Events name paths
   * as text: a name that was not valid UTF-8 comes back lossy, so its folder is marked instead.
   */
  async watch(
    dirs: { dir: string; skipped: string[] }[],
    ignored: (path: string) => boolean,
  ): Promise<Error | null> {
    try {
      await this.subscribeAll(dirs, ignored);
      this.watching = true;
      return null;
    } catch (error) {
      // Out of inotify watches (ENOSPC), or no watcher here: the migration re-scans instead.
      await this.stopWatching().catch(() => undefined);
      return error as Error;
    }
  }

  private async subscribeAll(
    dirs: { dir: string; skipped: string[] }[],
    ignored: (path: string) => boolean,
  ): Promise<void> {
    for (const { dir, skipped } of dirs) {
      // `skipped` paths and globs are never crawled or watched (a whole root's /proc and /sys
      // would cost a watch per folder); `ignored` filters what arrives.
      const subscription = await watcher.subscribe(
        dir,
        (error, events) => {
          if (error) {
            this.lostEvents++;
            return;
          }
          for (const event of events) {
            if (ignored(event.path)) continue;
            if (event.path.includes('\uFFFD')) {
              this.lostEvents++;
              this.mark(Buffer.from(dirname(event.path), 'utf8').toString('latin1'));
              continue;
            }
            this.mark(Buffer.from(event.path, 'utf8').toString('latin1'));
          }
        },
        { ignore: skipped },
      );
      this.subscriptions.push(subscription);
    }
  }

  async stopWatching(): Promise<void> {
    this.watching = false;
    for (const subscription of this.subscriptions.splice(0)) await subscription.unsubscribe();
  }

  /** Whether the source path is dirty now. */
  has(source: RawPath): boolean {
    return this.dirty.has(source);
  }

  /** Records a changed source path (raw bytes). */
  mark(source: RawPath): void {
    if (!this.dirty.has(source)) this.log.append(['+', source]);
    this.dirty.set(source, ++this.seq);
    this.events.emit('mark', source);
  }

  /** The dirty paths now, each with the event count it had; they stay dirty until cleared. */
  take(): TakenPath[] {
    return [...this.dirty].map(([source, seq]) => ({ source, seq }));
  }

  /** Clears a path if no event came for it after it was taken. */
  clear(taken: TakenPath): void {
    if (this.dirty.get(taken.source) !== taken.seq) return;
    this.dirty.delete(taken.source);
    this.log.append(['-', taken.source]);
  }

  get size(): number {
    return this.dirty.size;
  }

  compact(): Promise<void> {
    return this.log.compact([...this.dirty.keys()].map((path) => ['+', path]));
  }

  flush(): Promise<void> {
    return this.log.flush();
  }
}
