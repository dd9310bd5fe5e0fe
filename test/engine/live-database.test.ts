import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { shellQuote } from '../../engine/shell-command.ts';

const writer = fileURLToPath(new URL('../helpers/sqlite-writer.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

describe('a database written during the whole migration', () => {
  it('arrives intact with every committed row, after shrinking rounds and a cutover that stops the writer', async (t) => {
    const base = await tempDir();
    const source = join(base, 'source');
    const appDir = join(source, 'var/lib/app');
    await mkdir(appDir, { recursive: true });
    // Other data makes the full copy take longer than a round, as on a real server.
    for (let i = 0; i < 40; i++) {
      await mkdir(join(source, 'opt', `pkg${i % 8}`), { recursive: true });
      await writeFile(join(source, 'opt', `pkg${i % 8}`, `blob${i}`), randomBytes(1024 * 1024));
    }
    const dbPath = join(appDir, 'app.db');
    const seed = new Database(dbPath);
    seed.pragma('journal_mode = WAL');
    seed.exec(
      'CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT, payload BLOB, touched INTEGER DEFAULT 0)',
    );
    const insert = seed.prepare('INSERT INTO events (at, payload) VALUES (?, ?)');
    seed.transaction(() => {
      for (let i = 0; i < 20000; i++) insert.run('seed', randomBytes(500));
    })();
    seed.close();

    const logPath = join(appDir, 'committed.log');
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dbPath, '--write', logPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => {
      createInterface({ input: child.stdout }).once('line', () => resolve());
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );

    const target = join(base, 'target');
    const agent = await startTestAgent(
      target,
      join(base, 'agent-state'),
      `${shellQuote(process.execPath)} --import ${shellQuote(tsx)} ${shellQuote(writer)} ${shellQuote(join(target, 'var/lib/app/app.db'))} --check`,
    );
    try {
      const seen: string[] = [];
      const { report } = await migrateTo(agent, source, join(base, 'state'), {
        emit: (e) => {
          if (process.env.P2V_TEST_DEBUG) seen.push(JSON.stringify(e));
        },
        stopCommand: `kill -TERM ${child.pid} && tail --pid=${child.pid} -s 0.02 -f /dev/null`,
        minRounds: 3,
        maxRounds: 8,
        verify: 'cached',
      });
      assert.equal(await exited, 0, 'the stop command stopped the writer cleanly');
      assert.equal(
        report.ok,
        true,
        `the migration failed: ${JSON.stringify({ verification: report.verification, timeline: report.cutover.timeline })}`,
      );

      const before = report.rounds.filter((r) => !r.final);
      const first = before[0]?.dirtyBytes ?? 0;
      const shape = report.rounds.map((r) => `${r.dirtyBytes}B/${r.durationMs}ms`).join(' → ');
      const decision = report.convergence;
      t.diagnostic(
        `rounds (dirty bytes/duration): ${shape}; stopped by ${decision?.reason}; downtime ${report.cutover.downtimeMs} ms`,
      );
      // At least the three rounds asked for, unless a round left nothing to send (a writer the
      // machine's load held still for a whole round).
      assert.ok(
        before.length >= 3 || decision?.pendingFiles === 0,
        `${before.length} rounds before the stop, ${decision?.pendingFiles} files pending: ${shape}`,
      );
      // The first round carries everything written during the full copy; the rounds after it
      // carry what was written during a round, which is shorter. Only the smallest is held to
      // that: the engine stops at the first round that grows, so the last may be one a busy
      // machine slowed.
      const smallest = Math.min(...before.slice(1).map((r) => r.dirtyBytes));
      assert.ok(before.length < 2 || smallest < first, `dirty data shrank: ${shape}`);

      const logged = (await readFile(logPath, 'utf8')).trim().split('\n');
      const lastCommitted = Number(logged.at(-1));
      assert.ok(lastCommitted > 20000, 'the writer committed rows during the migration');
      const copy = new Database(join(target, 'var/lib/app/app.db'), { readonly: true });
      try {
        assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
        const { n, top } = copy
          .prepare('SELECT count(*) AS n, max(id) AS top FROM events')
          .get() as {
          n: number;
          top: number;
        };
        assert.ok(
          top >= lastCommitted,
          `the target holds row ${top}, the writer logged ${lastCommitted}`,
        );
        assert.equal(n, top, 'no committed row is missing');
      } finally {
        copy.close();
      }
      const started = report.cutover.timeline.find((t) => t.step === 'started');
      assert.match(
        started?.detail ?? '',
        /integrity ok/,
        'the program started on the target found its data intact',
      );
      assert.ok((report.cutover.downtimeMs ?? -1) >= 0);
      // The prediction names the floors the pause pays beside the last round, and the report
      // puts what each part took beside it.
      const predicted = report.convergence?.predictedParts;
      const measured = report.cutover.measuredParts;
      assert.ok(predicted && measured, 'predicted and measured parts are in the report');
      assert.equal(
        report.convergence?.predictedDowntimeMs,
        predicted.roundMs + predicted.rescanMs + predicted.mirrorMs + predicted.verifyMs,
      );
      const partsMs = measured.roundMs + measured.rescanMs + measured.mirrorMs + measured.verifyMs;
      assert.ok(partsMs <= (report.cutover.downtimeMs ?? 0), 'the parts fit in the pause');
      t.diagnostic(
        `downtime predicted ${report.convergence?.predictedDowntimeMs} ms ${JSON.stringify(predicted)}, measured ${report.cutover.downtimeMs} ms ${JSON.stringify(measured)}`,
      );
    } finally {
      child.kill('SIGKILL');
      await agent.close();
    }
  });
});
