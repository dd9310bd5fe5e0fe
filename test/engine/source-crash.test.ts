import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import type { MigrationReport } from '../../shared/report.ts';
import { migrateArgs, P2V_BIN, startAgentProcess } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { diffSnapshots, snapshotTree } from '../helpers/tree-snapshot.ts';

describe('the source killed in the middle of the copy', () => {
  it('resumes from its state dir without sending again what the target holds', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    for (let i = 0; i < 64; i++) {
      await mkdir(join(source, `d${i % 8}`), { recursive: true });
      await writeFile(join(source, `d${i % 8}`, `f${i}`), randomBytes(4 * 1024 * 1024));
    }
    const totalBytes = 64 * 4 * 1024 * 1024;
    const agent = await startAgentProcess([
      '--root',
      join(base, 'target'),
      '--state',
      join(base, 'agent-state'),
    ]);
    const args = [
      P2V_BIN,
      ...migrateArgs(agent, source, [
        '--state',
        join(base, 'state'),
        '--report',
        join(base, 'report'),
      ]),
    ];
    try {
      const first = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      const killedAt = await new Promise<number>((resolve) => {
        createInterface({ input: first.stdout }).on('line', (line) => {
          const event = JSON.parse(line) as { type?: string; phase?: string; bytesDone?: number };
          if (
            event.type === 'progress' &&
            event.phase === 'copy' &&
            (event.bytesDone ?? 0) > totalBytes / 10
          ) {
            first.kill('SIGKILL');
            resolve(event.bytesDone ?? 0);
          }
        });
      });
      await new Promise((resolve) => first.once('exit', resolve));
      assert.ok(killedAt < totalBytes, 'killed before the copy finished');

      const second = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      assert.equal(await new Promise((resolve) => second.once('exit', resolve)), 0);
      const report = JSON.parse(
        await readFile(join(base, 'report/report.json'), 'utf8'),
      ) as MigrationReport;
      assert.equal(report.ok, true);
      assert.equal(report.copy?.resumed, true);
      const secondRunBytes = (report.copy?.dirtyBytes ?? 0) - killedAt;
      assert.ok(
        secondRunBytes < totalBytes - killedAt / 2,
        `the resumed copy did not send everything again (${report.copy?.dirtyBytes} bytes sent in all, ${killedAt} before the kill)`,
      );
      assert.deepEqual(
        diffSnapshots(await snapshotTree(source), await snapshotTree(join(base, 'target'))),
        [],
      );
    } finally {
      await agent.stop();
    }
  });
});
