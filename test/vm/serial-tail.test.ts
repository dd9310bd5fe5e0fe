import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SerialTail } from '../../engine/vm/serial-tail.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('following the VM’s console', () => {
  it('keeps a character whole when a read ends inside it, and drops terminal escapes', async () => {
    const log = join(await tempDir(), 'serial.log');
    // The tail reads 64 KiB at a time: this ellipsis (3 bytes in UTF-8) straddles the first read.
    const long = `${'x'.repeat(64 * 1024 - 1)}…`;
    await writeFile(log, `${long}\n\u001b[0;32m  OK  \u001b[0m] Started p2v-agent.service…\n`);
    const lines: string[] = [];
    await new Promise<void>((resolve) => {
      const tail = new SerialTail(log, (line) => {
        lines.push(line);
        if (lines.length === 2) {
          tail.close();
          resolve();
        }
      });
    });
    assert.equal(lines[0], long);
    assert.equal(lines[1], '  OK  ] Started p2v-agent.service…');
  });
});
