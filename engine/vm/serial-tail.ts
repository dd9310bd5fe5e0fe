import { watch, type FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/**
 * Follows a growing log file (the VM's serial console) and hands over each complete line as it
 * is written, woken by file-system events rather than a timer. Carriage returns and terminal
 * escapes are dropped so lines read as text.
 */
export class SerialTail {
  private offset = 0;
  private partial = '';
  /** Keeps a character split across two reads whole (systemd writes UTF-8 ellipses). */
  private readonly decoder = new StringDecoder('utf8');
  private reading: Promise<void> = Promise.resolve();
  private readonly watcher: FSWatcher;

  constructor(
    private readonly file: string,
    private readonly onLine: (line: string) => void,
  ) {
    const name = basename(file);
    this.watcher = watch(dirname(file), (_event, changed) => {
      if (changed === null || changed === name) this.poke();
    });
    this.poke();
  }

  /** Reads whatever was added since the last read; safe to call at any time. */
  poke(): void {
    this.reading = this.reading.then(() => this.readNew()).catch(() => undefined);
  }

  close(): void {
    this.watcher.close();
  }

  private async readNew(): Promise<void> {
    const handle = await open(this.file, 'r').catch(() => null);
    if (!handle) return;
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.partial += this.decoder.write(buffer.subarray(0, bytesRead));
        const lines = this.partial.split('\n');
        this.partial = lines.pop() ?? '';
        // eslint-disable-next-line no-control-regex
        for (const line of lines) this.onLine(line.replace(/\r|\u001b\[[0-9;?]*[A-Za-z]/g, ''));
      }
    } finally {
      await handle.close();
    }
  }
}
