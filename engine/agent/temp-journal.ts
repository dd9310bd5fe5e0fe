import { appendFile, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Remembers the agent's temp files while they exist, so a restart after a crash removes the ones
 * a killed apply left behind. The log is not fsynced: losing a line leaves a stray temp file, never
 * a torn target file.
 */
export class TempJournal {
  private readonly live = new Set<string>();

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

  async add(path: Buffer): Promise<void> {
    const line = path.toString('latin1');
    this.live.add(line);
    await appendFile(this.file, `+${line}\n`, 'latin1');
  }

  async remove(path: Buffer): Promise<void> {
    const line = path.toString('latin1');
    if (!this.live.delete(line)) return;
    await appendFile(this.file, `-${line}\n`, 'latin1');
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
