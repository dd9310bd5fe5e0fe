import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startAgent } from '../../engine/agent/agent-server.ts';
import { receivePut } from '../../engine/agent/apply-put.ts';
import { CommitBatch } from '../../engine/agent/commit-batch.ts';
import { TargetRoot } from '../../engine/agent/target-root.ts';
import { TempJournal } from '../../engine/agent/temp-journal.ts';
import { hashBuffer } from '../../engine/checksum/block-checksums.ts';
import { HashCache } from '../../engine/agent/hash-cache.ts';
import { encodeFrame, FrameDecoder, FrameType, type Frame } from '../../engine/protocol/frame.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const times = { mtimeNs: '1700000000000000000', atimeNs: '1700000000000000000' };
const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

const hashOf = hashBuffer;

describe('a migration’s stale session', () => {
  it('cannot finish a put once a resumed session of the migration paired', async () => {
    const base = await tempDir();
    const root = join(base, 'target');
    const paired: string[] = [];
    const agent = await startAgent({
      root,
      stateDir: join(base, 'agent-state'),
      host: '127.0.0.1',
      port: 0,
      log: (event, detail) => {
        if (event === 'paired' && detail?.migration) paired.push(String(detail.migration));
      },
    });
    try {
      const stale = await AgentClient.connect(agent, { migration: 'm-1' });
      const data = Buffer.from('written by a session the source gave up on\n');
      const put = stale.beginPut({
        path: 'stale.txt',
        size: data.length,
        mode: 0o644,
        ...owner,
        ...times,
        base: false,
      });
      await stale.sendBlocks(0, data);
      // The agent fences the older session before it welcomes the newer one.
      const resumed = await AgentClient.connect(agent, { migration: 'm-1' });
      await stale.endPut(put.id, hashOf(data)).catch(() => undefined);
      await assert.rejects(put.done, { code: 'CONNECTION_LOST' });
      assert.ok(!existsSync(join(root, 'stale.txt')), 'the stale put was not committed');
      // The resumed session writes as usual.
      const fresh = Buffer.from('the resumed session\n');
      const next = resumed.beginPut({
        path: 'fresh.txt',
        size: fresh.length,
        mode: 0o644,
        ...owner,
        ...times,
        base: false,
      });
      await resumed.sendBlocks(0, fresh);
      await resumed.endPut(next.id, hashOf(fresh));
      await next.done;
      assert.equal(await readFile(join(root, 'fresh.txt'), 'utf8'), 'the resumed session\n');
      assert.deepEqual(await readdir(root), ['fresh.txt'], 'no temp file is left');
      assert.deepEqual(paired, ['m-1', 'm-1']);
      await resumed.close();
    } finally {
      await agent.close();
    }
  });

  it('has nothing committed that was received but still waited in the commit batch', async () => {
    const base = await tempDir();
    const root = await TargetRoot.open(join(base, 'target'));
    await mkdir(join(base, 'state'));
    await writeFile(join(root.path, 'file.txt'), 'the old version\n');
    const { journal } = await TempJournal.open(join(base, 'state'));
    const data = Buffer.from('the stale session’s version\n');
    const frames: Frame[] = [];
    const decoder = new FrameDecoder();
    const body = Buffer.alloc(8 + data.length);
    data.copy(body, 8);
    for (const part of [
      ...encodeFrame(FrameType.blocks, body),
      ...encodeFrame(
        FrameType.message,
        Buffer.from(JSON.stringify({ t: 'putEnd', id: 1, hash: hashOf(data) })),
      ),
    ])
      frames.push(...decoder.push(part));
    const received = await receivePut(
      { root, journal, hashes: await HashCache.open(null), canChown: false, stateDir: null },
      {
        t: 'put',
        id: 1,
        path: 'file.txt',
        size: data.length,
        mode: 0o644,
        ...owner,
        ...times,
        base: false,
      },
      async () => frames.shift() as Frame,
    );
    const batch = new CommitBatch(journal);
    let fenced = false;
    const outcome = new Promise<Error | null>((resolve) =>
      batch.add(
        'file.txt',
        received,
        async (error) => resolve(error),
        () => !fenced,
      ),
    );
    // A newer session paired while the file waited for its batch.
    fenced = true;
    await batch.waitAll();
    assert.equal((await outcome)?.message.includes('newer session'), true);
    assert.equal(await readFile(join(root.path, 'file.txt'), 'utf8'), 'the old version\n');
    assert.deepEqual(await readdir(root.path), ['file.txt'], 'its temp file is gone');
    await journal.close();
  });
});
