import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  assertSameFiles,
  migrateTo,
  rewriteKeepingTimes,
  startTestAgent,
} from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('a second window over many small files', () => {
  it('compares them by checksum in batches, reads none on the target, and still finds every change on either side', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    const target = join(base, 'target');
    const names = Array.from({ length: 300 }, (_, i) => `d${i % 7}/f${i}.dat`);
    for (let d = 0; d < 7; d++) await mkdir(join(source, `d${d}`), { recursive: true });
    for (const name of names)
      await writeFile(join(source, name), randomBytes(100 + ((name.length * 97) % 9000)));
    let agent = await startTestAgent(target, join(base, 'agent-state'));
    try {
      assert.equal((await migrateTo(agent, source, join(base, 'state-1'))).report.ok, true);
      await agent.close();

      // On the source: one file rewritten at the same size, one new. On the target, behind
      // the agent's back: one copy rewritten at the same size with its times put back, which
      // only its checksum (the cache's key holds the ctime) can tell.
      await writeFile(
        join(source, 'd1/f1.dat'),
        randomBytes((await stat(join(source, 'd1/f1.dat'))).size),
      );
      await writeFile(join(source, 'd2/new.dat'), 'a new file\n');
      await rewriteKeepingTimes(join(target, 'd3/f3.dat'));

      agent = await startTestAgent(target, join(base, 'agent-state'), null, {
        acceptNewMigration: true,
      });
      assert.equal((await migrateTo(agent, source, join(base, 'state-2'))).report.ok, true);
      assert.equal(
        agent.counts.signaturesRead,
        2,
        'only the two copies that differ are read for a signature',
      );
      assert.ok(agent.counts.probed >= names.length, `probed ${agent.counts.probed}`);
      await assertSameFiles(source, target, [...names, 'd2/new.dat']);
    } finally {
      await agent.close();
    }
  });
});
