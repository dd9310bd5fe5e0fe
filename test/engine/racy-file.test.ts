import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hashFile } from '../../engine/checksum/block-checksums.ts';
import { verifyTarget } from '../../engine/migration/verify.ts';
import { fromText } from '../../engine/paths/raw-path.ts';
import { entryFrom, modifiedNearRead, SourceIndex } from '../../engine/record/source-index.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('a file rewritten within the timestamp tick of its read', () => {
  it('is read again by the cached verification, which finds that it differs', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    const target = join(base, 'target');
    await mkdir(source);
    await mkdir(target);
    const agent = await startTestAgent(target, join(base, 'agent-state'));
    await mkdir(join(base, 'state'));
    const index = await SourceIndex.open(join(base, 'state'));
    try {
      // What was read and sent: version A, on both sides.
      const racy = join(source, 'racy.db');
      await writeFile(racy, 'version A of the page\n');
      const readFromMs = Date.now();
      const sent = await hashFile(Buffer.from(racy));
      await writeFile(join(target, 'racy.db'), await readFile(racy));
      // A same-size write right after the read. Within one tick the stat would not change at
      // all; the index is given the stat as it is now, which is what such a write leaves.
      await writeFile(racy, 'version B of the page\n');
      const info = await lstat(racy, { bigint: true });
      const entry = entryFrom(fromText(racy), info, sent);
      assert.ok(entry);
      entry.racy = modifiedNearRead(info, readFromMs);
      assert.equal(entry.racy, true, 'modified within a tick of its read');
      index.set('racy.db', entry);

      // The same for a file last modified an hour before its read: its stat vouches for it.
      const settled = join(source, 'settled.db');
      await writeFile(settled, 'an old page\n');
      const hourAgo = new Date(Date.now() - 3_600_000);
      await utimes(settled, hourAgo, hourAgo);
      const settledInfo = await lstat(settled, { bigint: true });
      await writeFile(join(target, 'settled.db'), 'an old page\n');
      const settledEntry = entryFrom(
        fromText(settled),
        settledInfo,
        await hashFile(Buffer.from(settled)),
      );
      assert.ok(settledEntry);
      assert.equal(modifiedNearRead(settledInfo, Date.now()), false);
      index.set('settled.db', settledEntry);

      const client = await AgentClient.connect(agent);
      try {
        const result = await verifyTarget(client, index, 'cached', () => undefined);
        assert.deepEqual(result.mismatches, ['racy.db']);
      } finally {
        await client.close();
      }
    } finally {
      await agent.close();
    }
  });
});
