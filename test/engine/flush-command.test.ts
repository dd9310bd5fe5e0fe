import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { shellQuote } from '../../engine/shell-command.ts';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

async function rig(): Promise<{ base: string; source: string; target: string }> {
  const base = await tempDir();
  const source = join(base, 'source');
  await mkdir(source, { recursive: true });
  await writeFile(join(source, 'table.dat'), 'rows on disk\n');
  return { base, source, target: join(base, 'target') };
}

describe('the flush command', () => {
  it('runs once the rounds converge, and the round after it sends what the program wrote, before the stop', async () => {
    const { base, source, target } = await rig();
    const runs = join(base, 'flush-runs.log');
    // What a database's checkpoint does: writes from memory what the rounds could not see.
    const flush = `echo ran >> ${shellQuote(runs)} && printf 'from memory\\n' >> ${shellQuote(join(source, 'table.dat'))}`;
    const agent = await startTestAgent(target, join(base, 'agent-state'));
    try {
      const { report } = await migrateTo(agent, source, join(base, 'state'), {
        flushCommand: flush,
        minRounds: 1,
        maxRounds: 6,
      });
      assert.equal(report.ok, true);
      assert.equal(await readFile(runs, 'utf8'), 'ran\n', 'the flush ran once');
      const flushed = report.rounds.filter((r) => r.afterFlush);
      assert.equal(flushed.length, 1);
      assert.equal(flushed[0]?.final, false, 'its round ran before the stop');
      assert.ok((flushed[0]?.dirtyBytes ?? 0) > 0, 'and sent what the flush wrote');
      assert.equal(
        await readFile(join(target, 'table.dat'), 'utf8'),
        'rows on disk\nfrom memory\n',
      );
    } finally {
      await agent.close();
    }
  });

  it('that fails is said, and the migration goes on without it', async () => {
    const { base, source, target } = await rig();
    const agent = await startTestAgent(target, join(base, 'agent-state'));
    try {
      const { report } = await migrateTo(agent, source, join(base, 'state'), {
        flushCommand: 'echo no such database >&2; exit 3',
      });
      assert.equal(report.ok, true);
      const warning = report.warnings.find((w) => w.said?.key === 'warnings.flushFailed');
      assert.ok(warning, 'the failure is in the report');
      assert.match(warning.message, /exited 3: no such database/);
    } finally {
      await agent.close();
    }
  });
});
