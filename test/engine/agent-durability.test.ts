import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { replaceWithSync } from '../../engine/agent/apply-put.ts';
import { startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('the agent after a power loss', () => {
  it('sweeps temp files its journal lost, anywhere below the root, at start', async () => {
    const base = await tempDir();
    const root = join(base, 'target');
    await mkdir(join(root, 'var/lib/db'), { recursive: true });
    await writeFile(join(root, 'var/lib/db/data'), 'committed\n');
    // What a power loss can leave with no journal line: a half-received file, a link being
    // made, a folder set aside while a file replaced it.
    await writeFile(join(root, 'var/lib/db/.p2v-0a1b2c3d4e5f.tmp'), 'half a file');
    await writeFile(join(root, '.p2v-l0a1b2c3d4e5f.tmp'), '');
    await mkdir(join(root, 'var/.p2v-9f8e7d6c5b4a.tmp.old/inside'), { recursive: true });
    // A name that only looks alike is the machine's own.
    await writeFile(join(root, 'var/.p2v-notes.txt'), 'mine\n');
    const agent = await startTestAgent(root, join(base, 'agent-state'));
    try {
      assert.equal(agent.removedTempFiles, 3);
      assert.ok(!existsSync(join(root, 'var/lib/db/.p2v-0a1b2c3d4e5f.tmp')));
      assert.ok(!existsSync(join(root, '.p2v-l0a1b2c3d4e5f.tmp')));
      assert.ok(!existsSync(join(root, 'var/.p2v-9f8e7d6c5b4a.tmp.old')));
      assert.equal(await readFile(join(root, 'var/lib/db/data'), 'utf8'), 'committed\n');
      assert.equal(await readFile(join(root, 'var/.p2v-notes.txt'), 'utf8'), 'mine\n');
    } finally {
      await agent.close();
    }
  });

  it('replaces a folder by a file without deleting the folder first', async () => {
    const base = await tempDir();
    await mkdir(join(base, 'name/deep'), { recursive: true });
    await writeFile(join(base, 'name/deep/old'), 'the folder’s file\n');
    await writeFile(join(base, '.p2v-0123456789ab.tmp'), 'the new file\n');
    replaceWithSync(
      Buffer.from(join(base, '.p2v-0123456789ab.tmp')),
      Buffer.from(join(base, 'name')),
    );
    assert.equal(await readFile(join(base, 'name'), 'utf8'), 'the new file\n');
    assert.ok(!existsSync(join(base, '.p2v-0123456789ab.tmp.old')), 'the set-aside folder is gone');
  });
});
