import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, closeSync, renameSync, writeSync, existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('a file renamed on the source between rounds', () => {
  it('is sent as a delta against its old name’s copy: a recycled log costs what changed, not its size', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    mkdirSync(join(source, 'pg_wal'), { recursive: true });
    mkdirSync(join(source, 'old'), { recursive: true });
    await writeFile(
      join(source, 'pg_wal', '000000010000000000000001'),
      randomBytes(2 * 1024 * 1024),
    );
    await writeFile(join(source, 'old', 'a.log'), randomBytes(1024 * 1024));
    const agent = await startTestAgent(join(base, 'target'), join(base, 'agent-state'));
    let renamed = false;
    try {
      const { report } = await migrateTo(agent, source, join(base, 'state'), {
        minRounds: 1,
        maxRounds: 4,
        emit: (event) => {
          if (renamed || event.type !== 'phase' || event.phase !== 'rounds') return;
          renamed = true;
          // A database recycles a log segment under a new name and writes its first page; a
          // folder of logs is moved as a whole.
          const recycled = join(source, 'pg_wal', '000000010000000000000002');
          renameSync(join(source, 'pg_wal', '000000010000000000000001'), recycled);
          const fd = openSync(recycled, 'r+');
          writeSync(fd, randomBytes(4096), 0, 4096, 0);
          closeSync(fd);
          renameSync(join(source, 'old'), join(source, 'moved'));
        },
      });
      assert.equal(report.ok, true);
      assert.ok(renamed);
      assert.deepEqual(
        report.warnings.filter((w) => !/re-scan/.test(w.message)),
        [],
      );
      const sent = report.rounds.reduce((sum, r) => sum + r.dirtyBytes, 0);
      assert.ok(
        sent <= 64 * 1024,
        `the rounds sent ${sent} bytes for 3 MiB renamed and 4 KiB changed`,
      );
      for (const path of ['pg_wal/000000010000000000000002', 'moved/a.log'])
        assert.deepEqual(
          await readFile(join(base, 'target', path)),
          await readFile(join(source, path)),
          path,
        );
      assert.ok(!existsSync(join(base, 'target', 'pg_wal', '000000010000000000000001')));
      assert.ok(!existsSync(join(base, 'target', 'old')));
    } finally {
      await agent.close();
    }
  });
});
