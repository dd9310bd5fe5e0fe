import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Remembers the agent's temp files while they exist, so a restart after a crash removes the ones
 * a killed apply left behind. The log is not fsynced: losing a line leaves a stray temp file, never
 * a torn target file.
 */
export class TempJournal {
  private readonly live = new Set<string>();

  private fd: number | null = null;

  private constructor(private readonly file: string) {}

  /** Opens the journal in `stateDir`, deleting every temp file a previous run left. */
  static async open(stateDir: string): Promise<{ journal: TempJournal; removed: number }> {
    const file = join(stateDir, 'temp-files.log');
    let removed = 0;
    let text = '';
    try {
      text = await readFile(file, 'latin1');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const left = new Set<string>();
    for (const line of text.split('\n')) {
      if (line.startsWith('+')) left.add(line.slice(1));
      else if (line.startsWith('-')) left.delete(line.slice(1));
    }
    for (const path of left) {
      try {
        await unlink(Buffer.from(path, 'latin1'));
        removed++;
      } catch {
        // already gone
      }
    }
    await writeFile(file, '');
    return { journal: new TempJournal(file), removed };
  }

  /** Notes a temp file about to be created (one small append to a file kept open). */
  add(path: Buffer): void {
    const line = path.toString('latin1');
    this.live.add(line);
    this.append(`+${line}\n`);
  }

  /** The temp files in flight, as full paths in latin1. */
  get liveFiles(): ReadonlySet<string> {
    return this.live;
  }

  /** Notes a temp file gone (renamed over its target or removed). */
  remove(path: Buffer): void {
    const line = path.toString('latin1');
    if (!this.live.delete(line)) return;
    this.append(`-${line}\n`);
  }

  async close(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (this.live.size === 0) await rm(this.file, { force: true });
  }

  private append(line: string): void {
    this.fd ??= openSync(this.file, 'a');
    writeSync(this.fd, Buffer.from(line, 'latin1'));
  }
}
