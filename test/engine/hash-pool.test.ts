import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { blockHash } from '../../engine/checksum/block-checksums.ts';
import { HashPool } from '../../engine/checksum/hash-pool.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const poolModule = fileURLToPath(new URL('../../engine/checksum/hash-pool.ts', import.meta.url));

describe('the hashing threads', () => {
  it('read and hash a chunk exactly as the main thread does, short at the end of the file', async () => {
    const file = join(await tempDir(), 'data.bin');
    const data = randomBytes(3 * 4096 + 100);
    await writeFile(file, data);
    const pool = HashPool.shared();
    assert.ok(pool, 'the pool starts outside the one-file agent');
    const fd = openSync(file, 'r');
    try {
      const chunk = await pool.hashChunk(fd, 4096, 8192 + 4096, 4096);
      assert.equal(chunk.bytesRead, 2 * 4096 + 100);
      assert.deepEqual(chunk.data.subarray(0, chunk.bytesRead), data.subarray(4096));
      const expected = Buffer.concat([
        blockHash(data.subarray(4096, 8192)),
        blockHash(data.subarray(8192, 12288)),
        blockHash(data.subarray(12288)),
      ]);
      assert.deepEqual(chunk.hashes, expected);
      pool.release(chunk);
    } finally {
      closeSync(fd);
    }
  });

  it('never keep a process alive once it has nothing else to do, used or not', async () => {
    // Processes that started the pool (and used it, or not) must end by themselves: a hang
    // fails the test.
    for (const use of [true, false]) {
      const script = `import { HashPool } from ${JSON.stringify(poolModule)};
        import { openSync } from 'node:fs';
        const pool = HashPool.shared();
        if (${use}) pool.release(await pool.hashChunk(openSync(${JSON.stringify(poolModule)}, 'r'), 0, 4096, 4096));
        console.log('started');`;
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, use ? 'used' : 'not used');
      assert.equal(out.trim(), 'started');
    }
  });
});
