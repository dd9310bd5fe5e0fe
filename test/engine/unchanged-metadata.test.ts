import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('a second migration over files that did not change', () => {
  it('writes nothing to them (not even their metadata), leaves their access times, and still fixes a changed mode', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    const target = join(base, 'target');
    await mkdir(source, { recursive: true });
    await writeFile(join(source, 'a.txt'), 'unchanged\n');
    await writeFile(join(source, 'b.txt'), 'mode changes\n', { mode: 0o644 });
    await writeFile(join(source, 'c.bin'), randomBytes(2 * 1024 * 1024));
    let agent = await startTestAgent(target, join(base, 'agent-state'));
    try {
      assert.equal((await migrateTo(agent, source, join(base, 'state-1'))).report.ok, true);
      const before = {
        a: await stat(join(target, 'a.txt'), { bigint: true }),
        c: await stat(join(target, 'c.bin'), { bigint: true }),
      };
      await chmod(join(source, 'b.txt'), 0o600);
      await agent.close();
      agent = await startTestAgent(target, join(base, 'agent-state'), null, {
        acceptNewMigration: true,
      });
      assert.equal((await migrateTo(agent, source, join(base, 'state-2'))).report.ok, true);
      for (const name of ['a', 'c'] as const) {
        const now = await stat(join(target, `${name}.${name === 'a' ? 'txt' : 'bin'}`), {
          bigint: true,
        });
        assert.equal(now.ctimeNs, before[name].ctimeNs, `${name}: no metadata was set again`);
        assert.equal(now.atimeNs, before[name].atimeNs, `${name}: reading it left its atime`);
      }
      assert.equal((await stat(join(target, 'b.txt'))).mode & 0o777, 0o600);
    } finally {
      await agent.close();
    }
  });
});
