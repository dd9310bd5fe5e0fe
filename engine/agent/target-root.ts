import { lstatSync, mkdirSync, readdirSync, rmSync, type Stats } from 'node:fs';
import { syncDirectorySync } from '../storage/durable-write.ts';
import { mkdir, realpath } from 'node:fs/promises';
import { P2VError } from '../../shared/errors.ts';
import { confinePath, type ConfineOptions } from '../paths/confine.ts';
import type { RawPath } from '../paths/raw-path.ts';

/** Where a confined path lands: its parent directory and its full path, as byte Buffers. */
export interface Placement {
  dir: Buffer;
  full: Buffer;
  name: Buffer;
}

/**
 * The directory the agent writes into. Every path from the wire goes through `place`, which
 * refuses escapes and walks the parents with lstat so no symlink or file on the way is followed.
 */
export class TargetRoot {
  private constructor(
    readonly path: string,
    private readonly options: ConfineOptions,
  ) {}

  static async open(path: string, options: ConfineOptions = {}): Promise<TargetRoot> {
    await mkdir(path, { recursive: true });
    return new TargetRoot(await realpath(path), options);
  }

  /**
   * Resolves a raw path inside the root; makes missing parent folders if asked. Synchronous:
   * a few lstat calls cost less than one thread-pool trip, on the hot path of small files.
   */
  place(raw: RawPath, makeParents: boolean): Placement {
    const parts = confinePath(raw, this.options);
    let dir = Buffer.from(this.path, 'utf8');
    for (const part of parts.slice(0, -1)) {
      dir = Buffer.concat([dir, Buffer.from('/'), Buffer.from(part, 'latin1')]);
      try {
        this.checkDirectory(lstatSync(dir), raw);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !makeParents) throw error;
        mkdirSync(dir, { mode: 0o755 });
        // The new folder's name lives in its parent: on disk before anything is put in it.
        syncDirectorySync(dir.subarray(0, dir.lastIndexOf(0x2f)));
      }
    }
    const name = Buffer.from(parts[parts.length - 1] as string, 'latin1');
    return { dir, name, full: Buffer.concat([dir, Buffer.from('/'), name]) };
  }

  /**
   * Removes the agent's temp files anywhere below the root, on the root's own filesystem, that
   * `live` does not hold: after a power loss the temp journal may have lost lines, and a stray
   * temp file must not reach the VM's image. Returns how many were removed.
   */
  sweepTempFiles(live: ReadonlySet<string>): number {
    let removed = 0;
    const top = Buffer.from(this.path, 'utf8');
    // One filesystem: an agent whose root is a VM's / must not walk /proc, /sys or /run.
    const device = lstatSync(top).dev;
    const stack: Buffer[] = [top];
    while (stack.length > 0) {
      const dir = stack.pop() as Buffer;
      let names: Buffer[];
      try {
        names = readdirSync(dir, { encoding: 'buffer' });
      } catch {
        continue;
      }
      for (const name of names) {
        const full = Buffer.concat([dir, Buffer.from('/'), name]);
        const info = lstatSync(full, { throwIfNoEntry: false });
        if (isAgentTemp(name.toString('latin1')) && !live.has(full.toString('latin1'))) {
          rmSync(full, { recursive: true, force: true });
          removed++;
        } else if (info?.isDirectory() && info.dev === device) stack.push(full);
      }
    }
    return removed;
  }

  /** Makes a path inside the root for the agent's own temp file next to `placement`. */
  tempBeside(placement: Placement, tag: string): Buffer {
    return Buffer.concat([placement.dir, Buffer.from(`/.p2v-${tag}.tmp`)]);
  }

  private checkDirectory(info: Stats, raw: RawPath): void {
    if (info.isSymbolicLink())
      throw new P2VError('BAD_PATH', `symlink on the way: ${JSON.stringify(raw)}`);
    if (!info.isDirectory())
      throw new P2VError('BAD_PATH', `not a directory on the way: ${JSON.stringify(raw)}`);
  }
}

/** The agent's own temp names: a file being received, a link being made, a folder set aside. */
export function isAgentTemp(name: string): boolean {
  return /^\.p2v-[0-9a-z]+\.tmp(\.old)?$/.test(name);
}
