import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { MigrationReport } from '../../shared/report.ts';
import { P2V_BIN } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('npm run demo', () => {
  it('migrates the sample machine with rounds and a cutover, and prints where the report is', async () => {
    const dir = await tempDir();
    const { stdout } = await promisify(execFile)(process.execPath, [
      P2V_BIN,
      'demo',
      '--dir',
      dir,
      '--json',
    ]);
    const html = /^Report: (.+report\.html)$/m.exec(stdout)?.[1];
    assert.ok(html, `a report path in: ${stdout.slice(-300)}`);
    const report = JSON.parse(
      await readFile(join(dirname(html), 'report.json'), 'utf8'),
    ) as MigrationReport;
    assert.equal(report.ok, true, 'the demo migration completed');
    assert.ok(report.rounds.filter((r) => !r.final).length >= 3, 'at least three rounds');
    assert.ok(
      report.cutover.timeline.some((s) => s.step === 'started'),
      'the program started on the target',
    );
  });
});
