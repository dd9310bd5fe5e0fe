import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  linkSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSampleTree } from '../helpers/sample-tree.ts';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { diffSnapshots, snapshotTree } from '../helpers/tree-snapshot.ts';

/** Every kind of change a live server makes, done at once between two rounds. */
function changeEverything(root: string): void {
  unlinkSync(join(root, 'secret'));
  renameSync(join(root, 'name with spaces.txt'), join(root, 'renamed.txt'));
  renameSync(join(root, 'a/b'), join(root, 'a/b-moved'));
  truncateSync(join(root, 'big.bin'), 1000);
  chmodSync(join(root, 'etc/app/config.ini'), 0o600);
  if (process.getuid?.() === 0) chownSync(join(root, 'setuid-tool'), 42, 43);
  utimesSync(join(root, '-rf'), new Date('1999-12-31T23:59:59Z'), new Date('1999-12-31T23:59:59Z'));
  mkdirSync(join(root, 'new/deeper/still'), { recursive: true });
  writeFileSync(join(root, 'new/deeper/still/file.txt'), 'created between rounds\n');
  rmSync(join(root, 'empty-file'));
  mkdirSync(join(root, 'empty-file'));
  writeFileSync(join(root, 'empty-file/now-a-dir.txt'), 'a file became a folder\n');
  rmSync(join(root, 'empty-dir'), { recursive: true });
  writeFileSync(join(root, 'empty-dir'), 'a folder became a file\n');
  symlinkSync('renamed.txt', join(root, 'new-link'));
  unlinkSync(join(root, 'relative-link'));
  symlinkSync('big.bin', join(root, 'relative-link'));
  linkSync(join(root, 'hard-1'), join(root, 'new/hard-4'));
  writeFileSync(join(root, 'hard-2'), 'hard-linked content changed through another name\n');
}

describe('delta rounds carry every kind of change', () => {
  it('new, deleted, renamed, truncated, type-changed files, links and metadata reach the target', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    await createSampleTree(source);
    rmSync(join(source, 'a-fifo'));
    const agent = await startTestAgent(join(base, 'target'), join(base, 'agent-state'));
    try {
      let changed = false;
      const { report } = await migrateTo(agent, source, join(base, 'state'), {
        minRounds: 3,
        maxRounds: 3,
        emit: (event) => {
          if (event.type === 'phase' && event.phase === 'rounds' && !changed) {
            changed = true;
            changeEverything(source);
          }
        },
      });
      assert.equal(report.ok, true);
      // Whether a change lands in a round or in the last one after the stop depends on when its
      // watcher event arrives; either way it must be carried.
      const deleted = report.rounds.reduce((sum, r) => sum + r.deleted, 0);
      assert.ok(deleted >= 3, `deletions were carried: ${JSON.stringify(report.rounds)}`);
      const problems = diffSnapshots(
        await snapshotTree(source),
        await snapshotTree(join(base, 'target')),
      );
      assert.deepEqual(problems, []);
    } finally {
      await agent.close();
    }
  });
});
