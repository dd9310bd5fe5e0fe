import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { blockSizeFor } from '../../engine/checksum/block-checksums.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { sendFileDelta } from '../../engine/source/file-delta.ts';
import { startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const BLOCK = 4096;

/** Sends `source` over the target's `name` as a delta, and returns what the agent then holds. */
async function deltaOnto(old: Buffer, next: Buffer): Promise<{ held: Buffer; dirtyBytes: number }> {
  const base = await tempDir();
  const root = join(base, 'target');
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'file.bin'), old);
  const source = join(base, 'file.bin');
  await writeFile(source, next);
  const agent = await startTestAgent(root, join(base, 'agent-state'));
  try {
    const client = await AgentClient.connect(agent);
    try {
      const signature = client.requestSignature('file.bin', blockSizeFor(next.length));
      const result = await sendFileDelta(
        client,
        signature,
        Buffer.from(source),
        'file.bin',
        lstatSync(source, { bigint: true }),
        'delta',
      );
      await result.applied;
      return { held: await readFile(join(root, 'file.bin')), dirtyBytes: result.dirtyBytes };
    } finally {
      await client.close();
    }
  } finally {
    await agent.close();
  }
}

describe('a file sent as a delta', () => {
  it('whose zeroed blocks are split by an unchanged one arrives exact: a hole never spans it', async () => {
    // Blocks 0 and 2 were freed (zeroed) on the source, block 1 did not change, block 3 did.
    const old = randomBytes(4 * BLOCK);
    const next = Buffer.from(old);
    next.fill(0, 0, BLOCK);
    next.fill(0, 2 * BLOCK, 3 * BLOCK);
    randomBytes(BLOCK).copy(next, 3 * BLOCK);
    const { held, dirtyBytes } = await deltaOnto(old, next);
    assert.deepEqual(held, next);
    assert.equal(dirtyBytes, BLOCK, 'only the changed block travels as data');
  });

  it('of a big file read on the hashing threads sends only the changed blocks, in any chunk', async () => {
    const old = randomBytes(6 * 1024 * 1024 + 100);
    const next = Buffer.from(old);
    for (const at of [0, 300 * BLOCK, 256 * BLOCK - BLOCK, 1100 * BLOCK])
      randomBytes(BLOCK).copy(next, at);
    next.fill(0, 700 * BLOCK, 703 * BLOCK);
    const { held, dirtyBytes } = await deltaOnto(old, next);
    assert.deepEqual(held, next);
    assert.equal(dirtyBytes, 4 * BLOCK);
  });
});
