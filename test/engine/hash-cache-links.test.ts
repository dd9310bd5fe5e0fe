import assert from 'node:assert/strict';
import { link, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HashCache } from '../../engine/agent/hash-cache.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('the agent’s checksum cache', () => {
  it('answers for every name of a hard-linked file from one read', async () => {
    const base = await tempDir();
    const first = join(base, 'first');
    const second = join(base, 'second');
    await writeFile(first, 'shared content\n');
    await link(first, second);
    const cache = await HashCache.open(null);
    // A checksum no read could produce: what comes back for the other name is the cached one.
    cache.remember(Buffer.from(first), 'f'.repeat(32));
    assert.equal(await cache.hashOf(Buffer.from(second), true), 'f'.repeat(32));
    assert.notEqual(await cache.hashOf(Buffer.from(second), false), 'f'.repeat(32), 'full reads');
  });
});
