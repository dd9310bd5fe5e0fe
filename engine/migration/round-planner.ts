import type { BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { MessageParams } from '../../shared/i18n/message.ts';
import { isAbsence } from '../paths/absence.ts';
import { displayPath, parentRaw, type RawPath } from '../paths/raw-path.ts';
import type { ChangeRecord, TakenPath } from '../record/change-record.ts';
import type { SourceIndex } from '../record/source-index.ts';
import type { SyncItem } from '../source/tree-sync.ts';
import type { SourceEntry } from '../source/walk.ts';
import { errorParams } from './error-params.ts';
import type { SourceSet } from './source-set.ts';

/**
 * The round planner (rsync's generator): decides from the change record what a round sends and
 * removes. A path the source cannot look at is not taken for gone: it is kept on the target,
 * said once, and nothing below its folder is removed that round.
 */
export class RoundPlanner {
  /** Paths the source could not look at (EACCES, EIO…): their error and the last round it came. */
  private readonly failing = new Map<RawPath, { code: string; round: number }>();

  constructor(
    private readonly record: ChangeRecord,
    private readonly sources: SourceSet,
    private readonly index: SourceIndex,
    private readonly warn: (key: string, params?: MessageParams, path?: string) => void,
  ) {}

  /** The paths that failed in round `round`, with their error code. */
  failingIn(round: number): { path: RawPath; code: string }[] {
    return [...this.failing]
      .filter(([, f]) => f.round === round)
      .map(([path, f]) => ({ path, code: f.code }));
  }

  /**
   * Turns what the record holds into round `round`'s sync items, ordered: removals first, then
   * parents before children.
   */
  async plan(round: number): Promise<{
    items: SyncItem[];
    taken: Map<RawPath, TakenPath[]>;
    bytes: number;
  }> {
    const taken = new Map<RawPath, TakenPath[]>();
    const byTarget = new Map<RawPath, SyncItem>();
    const onError = (path: string, error: Error): void =>
      this.warn('notCopied', errorParams(error), path);
    let bytes = 0;
    const add = (item: SyncItem): void => {
      if (!byTarget.has(item.target)) {
        byTarget.set(item.target, item);
        if (item.info?.isFile()) bytes += Number(item.info.size);
      }
    };
    /** Target folders where a path could not be seen this round: nothing below is removed. */
    const unsure = new Set<RawPath>();
    const addSource = async (
      source: RawPath,
      target: RawPath,
      walkNewDirs: boolean,
    ): Promise<void> => {
      let info: BigIntStats;
      try {
        info = await lstat(Buffer.from(source, 'latin1'), { bigint: true });
      } catch (error) {
        if (isAbsence(error)) {
          if (this.index.get(target)) add({ source: null, target, info: null });
          return;
        }
        // Not seen is not gone: the target keeps its copy, the record keeps the path for the
        // next round, and the technician hears which error it was.
        unsure.add(parentRaw(target));
        this.pathFailing(target, error as NodeJS.ErrnoException, round);
        return;
      }
      this.failing.delete(target);
      if (info.isDirectory() && walkNewDirs && !this.index.get(target)) {
        for await (const entry of this.sources.walkBelow(source, target, onError)) add(entry);
        return;
      }
      add({ source: Buffer.from(source, 'latin1'), target, info });
    };
    for (const item of this.record.take()) {
      const located = this.sources.locate(item.source);
      if (!located) {
        this.record.clear(item);
        continue;
      }
      const list = taken.get(located.target) ?? [];
      list.push(item);
      taken.set(located.target, list);
      await addSource(item.source, located.target, true);
      // A change inside a folder changes the folder's times too.
      const parentSource = parentRaw(item.source);
      const parentTarget = parentRaw(located.target);
      if (
        parentTarget &&
        parentTarget.startsWith(located.mapping.target) &&
        this.sources.locate(parentSource)
      ) {
        await addSource(parentSource, parentTarget, false);
      }
    }
    // Every name of a hard-linked file follows its content.
    const groups = new Map<string, RawPath[]>();
    for (const [target, entry] of this.index.entries) {
      if (entry.kind === 'file' && entry.nlink > 1) {
        const key = `${entry.dev}:${entry.ino}`;
        groups.set(key, [...(groups.get(key) ?? []), target]);
      }
    }
    for (const item of [...byTarget.values()]) {
      if (!item.info?.isFile() || item.info.nlink < 2n) continue;
      for (const other of groups.get(`${item.info.dev}:${item.info.ino}`) ?? []) {
        const entry = this.index.get(other);
        if (entry) await addSource(entry.source, other, false);
      }
    }
    const items = [...byTarget.values()]
      .filter((item) => item.source !== null || !isBelowAny(item.target, unsure))
      .sort(compareItems);
    return { items: await this.followRenames(items), taken, bytes };
  }

  /**
   * A new file whose inode an indexed path had, where that path is gone from the source, was
   * renamed (a recycled database log, a rotated log, a moved folder): it is sent as a delta
   * against the old name's copy on the target, and the removal that would take that copy away
   * goes last. The old name's removal joins this round even if its event has not come yet, so
   * the match does not depend on the order the watcher reports the two halves of a rename.
   */
  private async followRenames(items: SyncItem[]): Promise<SyncItem[]> {
    const fresh = items.filter(
      (i): i is SourceEntry => i.info !== null && i.info.isFile() && !this.index.get(i.target),
    );
    if (fresh.length === 0) return items;
    const byInode = new Map<string, RawPath>();
    for (const [target, entry] of this.index.entries)
      if (entry.kind === 'file' && entry.nlink === 1)
        byInode.set(`${entry.dev}:${entry.ino}`, target);
    const removed = new Set(items.filter((i) => i.source === null).map((i) => i.target));
    const bases = new Set<RawPath>();
    const added: SyncItem[] = [];
    for (const item of fresh) {
      const old = byInode.get(`${item.info.dev}:${item.info.ino}`);
      const entry = old === undefined ? undefined : this.index.get(old);
      if (old === undefined || !entry || bases.has(old)) continue;
      if (!isBelowAny(old, removed)) {
        // Still there on the source: the same inode number on another file, not a rename.
        if (
          await lstat(Buffer.from(entry.source, 'latin1')).then(
            () => true,
            () => false,
          )
        )
          continue;
        added.push({ source: null, target: old, info: null });
        removed.add(old);
      }
      item.baseFrom = old;
      bases.add(old);
    }
    if (bases.size === 0) return items;
    const all = [...items, ...added];
    const holdsBase = (item: SyncItem): boolean =>
      item.source === null && [...bases].some((base) => isBelowAny(base, new Set([item.target])));
    return [...all.filter((i) => !holdsBase(i)), ...all.filter(holdsBase)];
  }

  /** A path that could not be looked at this round: warned the first time only. */
  private pathFailing(target: RawPath, error: NodeJS.ErrnoException, round: number): void {
    const known = this.failing.get(target);
    const code = error.code ?? 'EIO';
    this.failing.set(target, { code, round });
    if (!known) {
      const path = displayPath(target);
      this.warn('keptUnreadable', { path, code, ...errorParams(error) }, path);
    }
  }

  /** What the record holds now: paths, and the bytes of the files among them. */
  async pending(): Promise<{ files: number; bytes: number }> {
    let bytes = 0;
    const taken = this.record.take();
    for (const item of taken) {
      const info = await lstat(Buffer.from(item.source, 'latin1'), { bigint: true }).catch(
        () => null,
      );
      if (info?.isFile()) bytes += Number(info.size);
    }
    return { files: taken.length, bytes };
  }
}

/** Whether a target path is one of `folders` or below one. */
function isBelowAny(target: RawPath, folders: Set<RawPath>): boolean {
  for (let path = target; path.length > 0; path = parentRaw(path))
    if (folders.has(path)) return true;
  return folders.has('');
}

/** Removals first, then parents before children. */
function compareItems(a: SyncItem, b: SyncItem): number {
  if ((a.source === null) !== (b.source === null)) return a.source === null ? -1 : 1;
  const ka = a.target.replaceAll('/', '\u0000');
  const kb = b.target.replaceAll('/', '\u0000');
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
