import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * An append-only file of JSON records, one a line, rewritten whole by `compact`. Appends are
 * buffered; a crash can tear only the last line, which `read` skips.
 */
export class JsonLog {
  private stream: WriteStream | null = null;

  constructor(readonly file: string) {}

  /** Every whole record in the file, oldest first; none if the file does not exist. */
  async read(): Promise<unknown[]> {
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const records: unknown[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        // a torn last line from a crash: everything before it holds
      }
    }
    return records;
  }

  append(record: unknown): void {
    this.stream ??= createWriteStream(this.file, { flags: 'a' });
    this.stream.write(`${JSON.stringify(record)}\n`);
  }

  /** Replaces the file with exactly these records, atomically. */
  async compact(records: Iterable<unknown>): Promise<void> {
    await this.flush();
    let text = '';
    for (const record of records) text += `${JSON.stringify(record)}\n`;
    const temp = `${this.file}.tmp`;
    await writeFile(temp, text);
    await rename(temp, this.file);
  }

  /** Waits until every append so far is written. */
  async flush(): Promise<void> {
    const stream = this.stream;
    if (!stream) return;
    this.stream = null;
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}
