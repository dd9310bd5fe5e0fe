import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MigrationReport } from '../../shared/report.ts';
import type { AgentProcess } from '../helpers/agent-process.ts';
import { migrateOnLink, startAgentOnLink, type Progress } from '../helpers/link-migration.ts';
import { makeShapedLink, shapedLinkUnavailable, type ShapedLink } from '../helpers/shaped-link.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const unavailable = shapedLinkUnavailable();
/** The office link: 100 Mbit/s each way. */
const LINK_MBIT = 100;
/** The limit the technician sets, well below the link. */
const LIMIT_MBIT = 16;
/** Incompressible, so what is measured is the limit, not the data. */
const DATA_BYTES = 12 * 1024 * 1024;

/** The full copy's rate in bytes per second, from what the report measured. */
const copyRate = (report: MigrationReport): number => {
  const copy = report.copy;
  assert.ok(copy && copy.durationMs > 0, 'the report has the copy');
  return copy.wireBytes / (copy.durationMs / 1000);
};

describe(
  `--bwlimit on a ${LINK_MBIT} Mbit/s link between two network namespaces`,
  { skip: unavailable ? `SKIPPED LOUDLY: ${unavailable}` : false },
  () => {
    let base: string;
    let link: ShapedLink;
    /** One agent per migration: each hands its migration over. */
    const agents = new Map<string, AgentProcess>();
    let source: string;

    before(async () => {
      base = await tempDir();
      link = makeShapedLink(`p2v-bw-${process.pid}`, LINK_MBIT);
      for (const name of ['limited', 'unlimited', 'changed', 'bad'])
        agents.set(name, await startAgentOnLink(link, join(base, name)));
      source = join(base, 'source');
      await mkdir(join(source, 'data'), { recursive: true });
      for (let i = 0; i < 6; i++)
        await writeFile(join(source, 'data', `part-${i}`), randomBytes(DATA_BYTES / 6));
    });
    after(async () => {
      await Promise.all([...agents.values()].map((agent) => agent.stop()));
      link?.remove();
    });

    it('holds the copy to the limit, where the link alone allows far more', async (t) => {
      const limited = copyRate(
        await migrateOnLink(link, agents.get('limited') as AgentProcess, source, base, 'limited', [
          '--bwlimit',
          String(LIMIT_MBIT),
        ]),
      );
      const limit = (LIMIT_MBIT * 1e6) / 8;
      t.diagnostic(
        `limited to ${LIMIT_MBIT} Mbit/s: ${((limited * 8) / 1e6).toFixed(1)} Mbit/s measured`,
      );
      assert.ok(
        Math.abs(limited - limit) <= limit * 0.1,
        `the copy ran at ${((limited * 8) / 1e6).toFixed(1)} Mbit/s, not within 10% of ${LIMIT_MBIT}`,
      );
      // The same copy again over the same link, without the limit.
      const free = copyRate(
        await migrateOnLink(
          link,
          agents.get('unlimited') as AgentProcess,
          source,
          base,
          'unlimited',
          [],
        ),
      );
      t.diagnostic(`no limit: ${((free * 8) / 1e6).toFixed(1)} Mbit/s measured`);
      assert.ok(
        free > limit * 2,
        `the link alone carries more than twice the limit (${((free * 8) / 1e6).toFixed(1)} Mbit/s)`,
      );
    });

    it('takes a new limit written to its state folder while it runs', async (t) => {
      const control = join(base, 'changed', 'state', 'bwlimit');
      const seen: Progress[] = [];
      let raisedAt: Progress | null = null;
      let confirmedAt: Progress | null = null;
      let raised = false;
      let confirmed = false;
      await migrateOnLink(
        link,
        agents.get('changed') as AgentProcess,
        source,
        base,
        'changed',
        ['--bwlimit', '8'],
        (progress) => {
          if (progress.phase !== 'copy') return;
          seen.push(progress);
          if (!raised && progress.bytesDone >= DATA_BYTES / 3) {
            raised = true;
            raisedAt = progress;
            void writeFile(control, '40\n');
          }
          if (confirmed && !confirmedAt) confirmedAt = progress;
        },
        (line) => {
          if (line.includes('Bandwidth limit now 40 Mbit/s')) confirmed = true;
        },
      );
      const first = seen[0];
      const last = seen.at(-1);
      assert.ok(first && raisedAt && confirmedAt && last, `progress seen: ${seen.length} events`);
      const rate = (from: Progress, to: Progress): number =>
        (to.bytesDone - from.bytesDone) / ((to.at - from.at) / 1000);
      const before = rate(first, raisedAt);
      const afterwards = rate(confirmedAt, last);
      t.diagnostic(
        `8 Mbit/s: ${((before * 8) / 1e6).toFixed(1)} measured; raised to 40: ${((afterwards * 8) / 1e6).toFixed(1)} measured`,
      );
      assert.ok(before <= (8e6 / 8) * 1.1, 'the first limit held');
      assert.ok(afterwards > before * 3, 'the new limit took over while the copy ran');
    });

    it('refuses a limit it cannot read before anything is sent', async () => {
      await assert.rejects(
        migrateOnLink(link, agents.get('bad') as AgentProcess, source, base, 'bad', [
          '--bwlimit',
          'fast',
        ]),
        /not a bandwidth: fast/,
      );
    });
  },
);
