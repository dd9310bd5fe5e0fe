import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunningAgent } from '../../engine/agent/agent-server.ts';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const BLOCK = 4096;

/** Overwrites `count` blocks spread over the file, as a database changes its pages. */
async function touchBlocks(path: string, count: number): Promise<void> {
  const file = await open(path, 'r+');
  try {
    const blocks = Math.floor((await file.stat()).size / BLOCK);
    for (let i = 0; i < count; i++) {
      const at = Math.floor(((i + 0.5) * blocks) / count) * BLOCK;
      await file.write(randomBytes(BLOCK), 0, BLOCK, at);
    }
  } finally {
    await file.close();
  }
}

interface Rig {
  base: string;
  source: string;
  target: string;
  agent: RunningAgent;
  /** Runs a new migration onto the same agent state, as a second window does. */
  again(): Promise<RunningAgent>;
}

async function migratedOnce(files: Record<string, Buffer>): Promise<Rig> {
  const base = await tempDir();
  const source = join(base, 'source');
  const target = join(base, 'target');
  await mkdir(source, { recursive: true });
  for (const [name, data] of Object.entries(files)) await writeFile(join(source, name), data);
  let agent = await startTestAgent(target, join(base, 'agent-state'));
  let run = 0;
  const rig: Rig = {
    base,
    source,
    target,
    agent,
    again: async () => {
      await agent.close();
      agent = await startTestAgent(target, join(base, 'agent-state'), null, {
        acceptNewMigration: true,
      });
      rig.agent = agent;
      const { report } = await migrateTo(agent, source, join(base, `state-${++run}`));
      assert.equal(report.ok, true, `migration ${run} ended well`);
      return agent;
    },
  };
  const { report } = await migrateTo(agent, source, join(base, 'state-0'));
  assert.equal(report.ok, true);
  return rig;
}

describe('a big file changed in a few blocks', () => {
  it('is answered from the kept block hashes and changed in place: same inode, same bytes', async () => {
    const rig = await migratedOnce({ 'data.db': randomBytes(6 * 1024 * 1024 + 1234) });
    try {
      const before = await stat(join(rig.target, 'data.db'));
      await touchBlocks(join(rig.source, 'data.db'), 12);
      const agent = await rig.again();
      const after = await stat(join(rig.target, 'data.db'));
      assert.deepEqual(
        await readFile(join(rig.target, 'data.db')),
        await readFile(join(rig.source, 'data.db')),
      );
      assert.equal(after.ino, before.ino, 'written in place, not replaced by a new file');
      assert.ok(agent.counts.signaturesKept >= 1, 'the signature came from the kept hashes');
      assert.equal(agent.counts.signaturesRead, 0, 'the agent read no file for a signature');
      assert.ok(agent.counts.appliedInPlace >= 1);
      assert.deepEqual(await readdir(join(rig.base, 'agent-state', 'in-place')), []);
    } finally {
      await rig.agent.close();
    }
  });

  it('grows, shrinks and gains a hole in place, each version exact', async () => {
    const rig = await migratedOnce({ 'grow.bin': randomBytes(3 * 1024 * 1024 + 77) });
    try {
      const path = join(rig.source, 'grow.bin');
      const file = await open(path, 'r+');
      await file.write(randomBytes(5000), 0, 5000, (await file.stat()).size);
      await file.write(Buffer.alloc(64 * 1024), 0, 64 * 1024, 1024 * 1024);
      await file.close();
      await rig.again();
      assert.deepEqual(await readFile(join(rig.target, 'grow.bin')), await readFile(path));
      const shrunk = await open(path, 'r+');
      await shrunk.truncate(2 * 1024 * 1024 + 5);
      await shrunk.close();
      const agent = await rig.again();
      assert.deepEqual(await readFile(join(rig.target, 'grow.bin')), await readFile(path));
      assert.ok(agent.counts.appliedInPlace >= 1);
    } finally {
      await rig.agent.close();
    }
  });

  it('is read again, never trusted, when its kept hashes are damaged or the target was changed behind the agent', async () => {
    const rig = await migratedOnce({
      'a.bin': randomBytes(2 * 1024 * 1024),
      'b.bin': randomBytes(2 * 1024 * 1024),
    });
    try {
      const kept = join(rig.base, 'agent-state', 'signatures');
      for (const name of await readdir(kept)) {
        const handle = await open(join(kept, name), 'r+');
        await handle.write(Buffer.from('damaged'), 0, 7, 100);
        await handle.close();
      }
      // Someone edits the target's copy of b.bin: its stat changes, so what was kept is stale.
      const edited = await open(join(rig.target, 'b.bin'), 'r+');
      await edited.write(Buffer.from('edited on the target'), 0, 20, 4096 * 10);
      await edited.close();
      await touchBlocks(join(rig.source, 'a.bin'), 3);
      const agent = await rig.again();
      for (const name of ['a.bin', 'b.bin'])
        assert.deepEqual(
          await readFile(join(rig.target, name)),
          await readFile(join(rig.source, name)),
          name,
        );
      assert.equal(agent.counts.signaturesKept, 0, 'no damaged or stale hashes were used');
      assert.ok(agent.counts.signaturesRead >= 2);
    } finally {
      await rig.agent.close();
    }
  });
});
