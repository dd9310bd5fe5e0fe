import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { link, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const GROUPS = 300;

describe('hard links in a copy interrupted and resumed', () => {
  it('stay one inode per group on the target, with nothing sent again at the stop', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    const target = join(base, 'target');
    // Each file has a second name in a folder the walk reaches last.
    await mkdir(join(source, 'a'), { recursive: true });
    await mkdir(join(source, 'z'), { recursive: true });
    for (let i = 0; i < GROUPS; i++) {
      await writeFile(join(source, 'a', `f${i}`), randomBytes(2000));
      await link(join(source, 'a', `f${i}`), join(source, 'z', `f${i}`));
    }
    const agent = await startTestAgent(target, join(base, 'agent-state'));
    const state = join(base, 'state');
    try {
      const cancel = new AbortController();
      await assert.rejects(
        migrateTo(agent, source, state, {
          signal: cancel.signal,
          emit: (event) => {
            // Between the two names of the groups: the first names sent, the second ones not.
            if (event.type === 'progress' && event.phase === 'copy' && event.filesDone >= GROUPS)
              cancel.abort();
          },
        }),
        { code: 'CANCELLED' },
      );
      const { report } = await migrateTo(agent, source, state, { verify: 'cached' });
      assert.equal(report.ok, true, JSON.stringify(report.error));
      assert.equal(report.verification?.resent, undefined, 'nothing differed at the stop');
      let split = 0;
      for (let i = 0; i < GROUPS; i++) {
        const first = await stat(join(target, 'a', `f${i}`));
        const second = await stat(join(target, 'z', `f${i}`));
        if (first.ino !== second.ino) split++;
      }
      assert.equal(split, 0, `${split} of ${GROUPS} groups were split into copies`);
    } finally {
      await agent.close();
    }
  });
});
