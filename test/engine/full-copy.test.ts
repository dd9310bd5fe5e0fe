import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningAgent } from '../../engine/agent/agent-server.ts';
import { createSampleTree } from '../helpers/sample-tree.ts';
import { measureSources } from '../../engine/preflight/measure-sources.ts';
import { escape } from '../../engine/report/html-parts.ts';
import { renderReportHtml } from '../../engine/report/report-html.ts';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { diffSnapshots, snapshotTree } from '../helpers/tree-snapshot.ts';

describe('full copy of a tree with every kind of entry', () => {
  let base: string;
  let agent: RunningAgent;

  before(async () => {
    base = await tempDir();
    await createSampleTree(join(base, 'source'));
    agent = await startTestAgent(join(base, 'target'), join(base, 'agent-state'));
  });
  after(() => agent.close());

  it('makes the target equal the source in content, mode, owner, mtime, links and sparseness', async () => {
    const { report, events } = await migrateTo(agent, join(base, 'source'), join(base, 'state'));
    assert.equal(report.ok, true);
    const source = await snapshotTree(join(base, 'source'));
    const target = await snapshotTree(join(base, 'target'));
    const fifo = [...source.keys()].find((k) => source.get(k)?.kind === 'other');
    assert.ok(fifo, 'the sample has a FIFO');
    source.delete(fifo);
    assert.deepEqual(diffSnapshots(source, target), []);

    const sparseSource = source.get('sparse.img');

    const sparseTarget = target.get('sparse.img');
    assert.ok(sparseSource && sparseTarget);
    assert.ok(
      sparseTarget.allocated <= sparseSource.allocated + 64 * 1024,
      `sparse file allocates ${sparseTarget.allocated} bytes on the target, ${sparseSource.allocated} on the source`,
    );
    const warnings = events
      .filter((e) => e.type === 'warning')
      .map((e) => (e as { message: string }).message);
    const fifoWarnings = warnings.filter((w) => w.includes('a-fifo') && w.includes('FIFO'));
    assert.equal(
      fifoWarnings.length,
      1,
      `the FIFO is reported once, not fatal: ${warnings.join('; ')}`,
    );
    // The report says it in its own language, path and all.
    const zh = renderReportHtml(report, 'zh-CN');
    assert.ok(
      zh.includes('a-fifo：设备文件、FIFO 和套接字不会复制'),
      'the warning is in Chinese in a Chinese report',
    );
    assert.ok(!zh.includes('is not copied'), 'and not in English');
    assert.ok(renderReportHtml(report, 'en').includes(escape(fifoWarnings[0] ?? '-')));
    assert.equal(report.verification?.ok, true);
    assert.equal(
      report.copy?.files,
      14,
      '14 regular files sent; the other two hard links as links',
    );
  });

  it('takes the copy’s progress totals from a measurement made before, without walking again', async () => {
    const target = join(base, 'target-measured');
    const measuredAgent = await startTestAgent(target, join(base, 'agent-state-measured'));
    try {
      const measured = await measureSources([{ dir: join(base, 'source'), target: '' }], [], false);
      assert.equal(measured.files, 14 + 2, 'fourteen files and two more names of hard links');
      // Totals that no walk could give: if the copy walked again, the meter would say otherwise.
      const given = { bytes: measured.bytes + 12345, files: measured.files + 3 };
      const { events } = await migrateTo(
        measuredAgent,
        join(base, 'source'),
        join(base, 'state-measured'),
        {
          sourceTotals: given,
        },
      );
      const copy = events.find((e) => e.type === 'progress' && e.phase === 'copy');
      assert.ok(copy && copy.type === 'progress', 'the copy reported progress');
      assert.deepEqual([copy.bytesTotal, copy.filesTotal], [given.bytes, given.files]);
    } finally {
      await measuredAgent.close();
    }
  });

  it('refuses another migration once it handed one over, before anything is sent', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(base, 'source/after-handover.txt'), 'too late\n');
    await assert.rejects(
      migrateTo(agent, join(base, 'source'), join(base, 'state-after-handover')),
      (error: Error & { code?: string }) => error.code === 'AGENT_HANDED_OVER',
    );
    assert.ok(!existsSync(join(base, 'target/after-handover.txt')), 'nothing was written');
    await rm(join(base, 'source/after-handover.txt'));
  });

  it('sends only the blocks that differ to a target that holds an older copy', async () => {
    // A second window: the conversion host's agent was restarted on the same target root.
    await agent.close();
    agent = await startTestAgent(join(base, 'target'), join(base, 'agent-state'), null, {
      acceptNewMigration: true,
    });
    const { writeFile, open } = await import('node:fs/promises');
    const big = await open(join(base, 'source/big.bin'), 'r+');
    await big.write(Buffer.alloc(4096, 7), 0, 4096, 4096 * 100);
    await big.close();
    await writeFile(join(base, 'source/etc/app/config.ini'), '[main]\nport = 9090\n');
    await rm(join(base, 'source/empty-file'));
    const { report } = await migrateTo(
      agent,
      join(base, 'source'),
      join(base, 'state-second-window'),
    );
    assert.equal(report.ok, true);
    const copy = report.copy;
    assert.ok(copy);
    assert.ok(
      copy.dirtyBytes <= 4096 + 64,
      `sent ${copy.dirtyBytes} dirty bytes for one changed block and a small file`,
    );
    // The wire carries every file's signature (20 bytes per 4 KiB block) plus the changes.
    const signatureBytes = (copy.scannedBytes / 4096) * 20;
    assert.ok(copy.wireBytes < signatureBytes * 1.2 + 64 * 1024, `wire bytes ${copy.wireBytes}`);
    const source = await snapshotTree(join(base, 'source'));
    const target = await snapshotTree(join(base, 'target'));
    for (const [key, entry] of source) if (entry.kind === 'other') source.delete(key);
    assert.deepEqual(
      diffSnapshots(source, target),
      [],
      'everything matches, and the file removed before this migration is gone from the target',
    );
  });
});
