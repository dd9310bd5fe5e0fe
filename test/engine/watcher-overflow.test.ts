import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const QUEUE = '/proc/sys/fs/inotify/max_queued_events';
const WATCHES = '/proc/sys/fs/inotify/max_user_watches';
const canTune = process.getuid?.() === 0 && existsSync(QUEUE);
const FILES = 400;

/** Sets a kernel limit for the test and returns how to put it back. */
function lower(file: string, value: number): () => void {
  const before = readFileSync(file, 'utf8').trim();
  writeFileSync(file, String(value));
  return () => writeFileSync(file, before);
}

describe('a file watcher that cannot be trusted', () => {
  it(
    'loses events to a full inotify queue: a re-scan before the cutover decision finds them, before the stop',
    { skip: canTune ? false : 'needs root to lower the inotify queue' },
    async () => {
      const base = await tempDir();
      const source = join(base, 'source');
      await mkdir(join(source, 'spool'), { recursive: true });
      await writeFile(join(source, 'spool/first'), 'before the copy\n');
      const agent = await startTestAgent(join(base, 'target'), join(base, 'agent-state'));
      // Only the migration's inotify instance, made while this holds, gets the tiny queue.
      let restore: (() => void) | null = lower(QUEUE, 8);
      try {
        const { report } = await migrateTo(agent, source, join(base, 'state'), {
          thresholdBytes: 1024 * 1024,
          emit: (event) => {
            if (event.type === 'phase' && event.phase === 'copy') {
              restore?.();
              restore = null;
            }
            // As the rounds begin, a burst far beyond the queue: most of its events are lost.
            if (event.type === 'phase' && event.phase === 'rounds')
              for (let i = 0; i < FILES; i++)
                writeFileSync(join(source, 'spool', `mail-${i}`), `message ${i}\n`);
          },
        });
        assert.equal(report.ok, true, JSON.stringify(report.error));
        assert.ok((report.watcherMissed ?? 0) > 0, 'the re-scan found what the watcher lost');
        const beforeStop = report.rounds.filter((r) => !r.final);
        const sentBefore = beforeStop.reduce((sum, r) => sum + r.dirtyFiles, 0);
        assert.ok(sentBefore >= FILES, `${sentBefore} files sent in rounds before the stop`);
        for (let i = 0; i < FILES; i += 37)
          assert.ok(existsSync(join(base, 'target/spool', `mail-${i}`)));
      } finally {
        restore?.();
        await agent.close();
      }
    },
  );

  it(
    'out of inotify watches: the migration re-scans each round instead, and says so',
    { skip: canTune ? false : 'needs root to lower the inotify watch limit' },
    async () => {
      const base = await tempDir();
      const source = join(base, 'source');
      for (let i = 0; i < 20; i++) await mkdir(join(source, `d${i}`), { recursive: true });
      await writeFile(join(source, 'd0/file'), 'x\n');
      const agent = await startTestAgent(join(base, 'target'), join(base, 'agent-state'));
      let restore: (() => void) | null = lower(WATCHES, 1);
      try {
        const { report } = await migrateTo(agent, source, join(base, 'state'), {
          emit: (event) => {
            if (event.type === 'phase' && event.phase === 'copy') {
              restore?.();
              restore = null;
            }
          },
        });
        assert.equal(report.ok, true, JSON.stringify(report.error));
        assert.ok(
          report.warnings.some((w) => w.message.includes('file watcher could not start')),
          report.warnings.map((w) => w.message).join('; '),
        );
      } finally {
        restore?.();
        await agent.close();
      }
    },
  );
});
