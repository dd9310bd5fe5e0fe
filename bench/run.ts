// `npm run bench`: our full copy and re-sync against rsync on loopback, with the machine's limits
// measured in the same run. Results are ratios; see docs/benchmarks.md for how to read them.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MigrationReport } from '../shared/report.ts';
import { migrateArgs, P2V_BIN, startAgentProcess } from '../test/helpers/agent-process.ts';
import { freePort } from '../engine/net/free-port.ts';
import {
  changeBlocks,
  createBigFile,
  createDataSet,
  mutateDataSet,
  type DataSetShape,
} from './data-set.ts';
import { blockHashSpeed, loopbackSpeed, readSpeed } from './limits.ts';
import { findPostgres, postgresCase, type PostgresResult } from './postgres.ts';
import { linkCase } from './link-case.ts';

const MiB = 1024 * 1024;
const SHAPES: Record<string, DataSetShape & { bigFileBytes: number }> = {
  full: { smallFiles: 3000, largeFiles: 3, largeBytes: 300 * MiB, bigFileBytes: 2048 * MiB },
  small: { smallFiles: 300, largeFiles: 2, largeBytes: 32 * MiB, bigFileBytes: 256 * MiB },
};
const shapeName = process.env.BENCH_SCALE ?? 'full';
const shape = SHAPES[shapeName] ?? (SHAPES.full as DataSetShape & { bigFileBytes: number });
const reps = Number(process.env.BENCH_REPS ?? 3);
/** `--compress` for our runs: auto as shipped; BENCH_COMPRESS=off or on to compare. */
const compressMode = process.env.BENCH_COMPRESS ?? 'auto';

interface Run {
  seconds: number;
  wireBytes: number;
  /** What the source side read from storage, where measured (the cold re-sync). */
  sourceReadBytes?: number;
  sourceRss?: number;
  agentRss?: number;
  engineSeconds?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** GNU time, which reports the blocks a command read from storage (its getrusage inblock). */
const GNU_TIME = '/usr/bin/time';

/**
 * Runs a command to its end; with `reads`, under GNU time, also what it read from storage (the
 * page cache's hits do not count), which says what a second window costs the source's disk.
 */
async function run(
  command: string,
  args: string[],
  reads = false,
): Promise<{ seconds: number; stdout: string; readBytes?: number }> {
  if (reads && existsSync(GNU_TIME)) {
    const out = join(tmpdir(), `p2v-bench-time-${process.pid}`);
    const done = await run(GNU_TIME, ['-f', '%I', '-o', out, command, ...args]);
    const blocks = Number((await readFile(out, 'utf8')).trim().split('\n').at(-1));
    await rm(out, { force: true });
    return { ...done, readBytes: blocks * 512 };
  }
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('exit', (code) =>
      code === 0
        ? resolve({ seconds: (performance.now() - started) / 1000, stdout })
        : reject(new Error(`${command} exited ${code}`)),
    );
  });
}

async function ours(
  base: string,
  target: string,
  label: string,
  source = join(base, 'source'),
  reads = false,
): Promise<Run> {
  // Each run is a new migration onto the same target: a choice the agent is told of.
  const agent = await startAgentProcess([
    '--root',
    target,
    '--state',
    join(base, 'agent-state'),
    '--accept-new-migration',
  ]);
  const reportDir = join(base, 'reports', label);
  const { seconds, stdout, readBytes } = await run(
    process.execPath,
    [
      P2V_BIN,
      ...migrateArgs(agent, source, [
        '--state',
        join(base, 'states', label),
        '--max-rounds',
        '1',
        '--report',
        reportDir,
        '--compress',
        compressMode,
      ]),
    ],
    reads,
  );
  await agent.stop();
  const finished = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((e) => e.event === 'finished');
  const report = JSON.parse(
    await readFile(join(reportDir, 'report.json'), 'utf8'),
  ) as MigrationReport;
  const copy = report.copy;
  const wire = (copy?.wireBytes ?? 0) + report.rounds.reduce((sum, r) => sum + r.wireBytes, 0);
  return {
    seconds,
    wireBytes: wire,
    sourceRss: Number(finished?.peakRssBytes),
    agentRss: Number(agent.events.find((e) => e.event === 'exit')?.peakRssBytes),
    engineSeconds: (copy?.durationMs ?? 0) / 1000,
    ...(readBytes !== undefined ? { sourceReadBytes: readBytes } : {}),
  };
}

async function rsync(
  base: string,
  port: number,
  extra: string[],
  source = join(base, 'source'),
  reads = false,
): Promise<Run> {
  // The client is rsync's sender: what it reads is what the source's disk gives.
  const { seconds, stdout, readBytes } = await run(
    'rsync',
    ['-a', '--stats', ...extra, `${source}/`, `rsync://127.0.0.1:${port}/bench/`],
    reads,
  );
  const sent = Number(/Total bytes sent: ([\d,]+)/.exec(stdout)?.[1]?.replaceAll(',', '') ?? NaN);
  const received = Number(
    /Total bytes received: ([\d,]+)/.exec(stdout)?.[1]?.replaceAll(',', '') ?? NaN,
  );
  return {
    seconds,
    wireBytes: sent + received,
    ...(readBytes !== undefined ? { sourceReadBytes: readBytes } : {}),
  };
}

async function startRsyncDaemon(
  base: string,
  target: string,
): Promise<{ port: number; stop: () => void }> {
  const port = await freePort();
  const config = join(base, 'rsyncd.conf');
  await writeFile(
    config,
    `pid file = ${join(base, 'rsyncd.pid')}\nuse chroot = false\n[bench]\npath = ${target}\nread only = false\nuid = root\ngid = root\n`,
  );
  const daemon = spawn(
    'rsync',
    ['--daemon', '--no-detach', `--port=${port}`, '--address=127.0.0.1', `--config=${config}`],
    {
      stdio: 'inherit',
    },
  );
  // The daemon is ready once it accepts a listing.
  for (let attempt = 0; ; attempt++) {
    try {
      await run('rsync', [`rsync://127.0.0.1:${port}/`]);
      break;
    } catch (error) {
      if (attempt > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { port, stop: () => daemon.kill('SIGTERM') };
}

const fmt = (n: number, digits = 2): string => n.toFixed(digits);
const mib = (bytes: number): string => fmt(bytes / MiB, 1);

/** The cases `BENCH_CASES` picks (a comma list), all by default. */
const cases = new Set(
  (process.env.BENCH_CASES ?? 'copy,big,pg,link').split(',').map((c) => c.trim()),
);

interface Pair {
  ours: Run[];
  rsync: Run[];
  changedBytes: number[];
}

const newPair = (): Pair => ({ ours: [], rsync: [], changedBytes: [] });

const summary = (runs: Run[]) => ({
  seconds: median(runs.map((r) => r.seconds)),
  wireBytes: median(runs.map((r) => r.wireBytes)),
  engineSeconds: median(runs.map((r) => r.engineSeconds ?? NaN)),
  sourceRssMiB: Math.max(...runs.map((r) => r.sourceRss ?? 0)) / MiB,
  agentRssMiB: Math.max(...runs.map((r) => r.agentRss ?? 0)) / MiB,
  sourceReadMiB: median(runs.map((r) => r.sourceReadBytes ?? NaN)) / MiB,
});

/** Ours then rsync, or rsync then ours on odd repetitions, so neither always follows the other. */
async function alternate(rep: number, ours: () => Promise<void>, theirs: () => Promise<void>) {
  if (rep % 2 === 0) await ours().then(theirs);
  else await theirs().then(ours);
}

/** Points the rsync daemon's module at `target`. */
async function rsyncInto(base: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  await rm(join(base, 'rsync-target'), { force: true });
  await symlink(target, join(base, 'rsync-target'));
}

/**
 * Writes back and drops the page cache, so the next run reads from the disk as a second window
 * on a real server does; false where this process may not (not root, or in a container).
 */
function dropCaches(): boolean {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

interface CopyCases {
  full: Pair;
  fullFsync: Run[];
  resync: Pair;
  /** The same re-sync with the page cache dropped before each run; null where it cannot be. */
  resyncCold: Pair | null;
}

async function copyCases(base: string, port: number): Promise<CopyCases> {
  await createDataSet(join(base, 'source'), shape);
  const full = newPair();
  const resync = newPair();
  // rsync making our promise too: every file fsynced before it is renamed into place.
  const fullFsync: Run[] = [];
  let ourTarget = '';
  for (let rep = 0; rep < reps; rep++) {
    // Fresh target folders each time, so neither tool finds the other's or its own old files.
    ourTarget = join(base, `target-ours-${rep}`);
    await rsyncInto(base, join(base, `target-rsync-${rep}`));
    const target = ourTarget;
    await alternate(
      rep,
      async () => void full.ours.push(await ours(base, target, `full-${rep}`)),
      async () => void full.rsync.push(await rsync(base, port, [])),
    );
    await rsyncInto(base, join(base, `target-rsync-fsync-${rep}`));
    fullFsync.push(await rsync(base, port, ['--fsync']));
    await rsyncInto(base, join(base, `target-rsync-${rep}`));
    process.stderr.write(`bench: full copy ${rep + 1}/${reps} done\n`);
  }
  for (let rep = 0; rep < reps; rep++) {
    resync.changedBytes.push(await mutateDataSet(join(base, 'source'), shape));
    await alternate(
      rep,
      async () => void resync.ours.push(await ours(base, ourTarget, `resync-${rep}`)),
      async () => void resync.rsync.push(await rsync(base, port, ['--no-whole-file'])),
    );
    process.stderr.write(`bench: re-sync ${rep + 1}/${reps} done\n`);
  }
  let resyncCold: Pair | null = dropCaches() ? newPair() : null;
  for (let rep = 0; resyncCold && rep < reps; rep++) {
    const cold = resyncCold;
    cold.changedBytes.push(await mutateDataSet(join(base, 'source'), shape));
    await alternate(
      rep,
      async () => {
        if (dropCaches())
          cold.ours.push(await ours(base, ourTarget, `cold-${rep}`, join(base, 'source'), true));
      },
      async () => {
        if (dropCaches())
          cold.rsync.push(await rsync(base, port, ['--no-whole-file'], join(base, 'source'), true));
      },
    );
    if (cold.ours.length <= rep || cold.rsync.length <= rep) resyncCold = null;
    process.stderr.write(`bench: re-sync from a cold cache ${rep + 1}/${reps} done\n`);
  }
  return { full, fullFsync, resync, resyncCold };
}

/** One big file, 1% of its blocks changed: a database's datafile between two rounds. */
async function bigFileCase(base: string, port: number): Promise<Pair> {
  const big = newPair();
  const source = join(base, 'big-source');
  await createBigFile(source, shape.bigFileBytes);
  const ourTarget = join(base, 'big-target-ours');
  await rsyncInto(base, join(base, 'big-target-rsync'));
  await ours(base, ourTarget, 'big-copy', source);
  await rsync(base, port, [], source);
  for (let rep = 0; rep < reps; rep++) {
    big.changedBytes.push(await changeBlocks(join(source, 'data.img'), 0.01));
    await alternate(
      rep,
      async () => void big.ours.push(await ours(base, ourTarget, `big-${rep}`, source)),
      async () => void big.rsync.push(await rsync(base, port, ['--inplace', '--no-W'], source)),
    );
    process.stderr.write(`bench: big file re-sync ${rep + 1}/${reps} done\n`);
  }
  return big;
}

async function main(): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'p2v-bench-'));
  try {
    process.stderr.write(
      `bench: cases ${[...cases].join(', ')}, scale '${shapeName}', in ${base}\n`,
    );
    await mkdir(join(base, 'limits'), { recursive: true });
    await createBigFile(join(base, 'limits'), 256 * MiB);
    const limits = {
      pageCacheReadMiBs: await readSpeed(join(base, 'limits')),
      loopbackTcpMiBs: await loopbackSpeed('tcp', join(base, 'limits-state')),
      loopbackTlsMiBs: await loopbackSpeed('tls', join(base, 'limits-state')),
      blockHashMiBs: blockHashSpeed(),
    };
    await rm(join(base, 'limits'), { recursive: true, force: true });
    process.stderr.write(`bench: limits ${JSON.stringify(limits)}\n`);

    const daemon = await startRsyncDaemon(base, join(base, 'rsync-target'));
    let copy: CopyCases | null = null;
    let big: Pair | null = null;
    try {
      if (cases.has('copy')) copy = await copyCases(base, daemon.port);
      if (cases.has('big')) big = await bigFileCase(base, daemon.port);
    } finally {
      daemon.stop();
    }
    let pg: PostgresResult | string | null = null;
    if (cases.has('pg')) {
      const bin = findPostgres();
      pg = bin
        ? await postgresCase(base, bin, shapeName === 'small' ? 10 : 100, (line) =>
            process.stderr.write(`bench: postgres: ${line}\n`),
          )
        : 'skipped: PostgreSQL is not installed (Debian: apt-get install postgresql)';
    }
    const link = cases.has('link') ? await linkCase(base) : null;

    const results = {
      when: new Date().toISOString(),
      shape: { name: shapeName, ...shape },
      reps,
      limits,
      ...(copy
        ? {
            full: {
              ours: summary(copy.full.ours),
              rsync: summary(copy.full.rsync),
              rsyncFsync: summary(copy.fullFsync),
            },
            resync: {
              changedMiB: median(copy.resync.changedBytes) / MiB,
              ours: summary(copy.resync.ours),
              rsync: summary(copy.resync.rsync),
            },
            ...(copy.resyncCold
              ? {
                  resyncCold: {
                    changedMiB: median(copy.resyncCold.changedBytes) / MiB,
                    ours: summary(copy.resyncCold.ours),
                    rsync: summary(copy.resyncCold.rsync),
                  },
                }
              : {}),
          }
        : {}),
      ...(big
        ? {
            bigFile: {
              fileMiB: shape.bigFileBytes / MiB,
              changedMiB: median(big.changedBytes) / MiB,
              ours: summary(big.ours),
              rsync: summary(big.rsync),
            },
          }
        : {}),
      ...(pg ? { postgres: pg } : {}),
      ...(link ? { link } : {}),
    };
    await mkdir(new URL('./output/', import.meta.url), { recursive: true });
    await writeFile(
      new URL('./output/results.json', import.meta.url),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    const lines = [
      `| measure | P2V Wizard | rsync | ratio (ours / rsync) |`,
      `| --- | --- | --- | --- |`,
    ];
    const rss: number[][] = [];
    if (results.full && results.resync) {
      const f = results.full;
      const r = results.resync;
      lines.push(
        `| full copy, wall time (s) | ${fmt(f.ours.seconds)} (engine ${fmt(f.ours.engineSeconds)}) | ${fmt(f.rsync.seconds)} | ${fmt(f.ours.seconds / f.rsync.seconds)} |`,
        `| full copy against rsync --fsync (every file synced, as we do), wall time (s) | ${fmt(f.ours.seconds)} | ${fmt(f.rsyncFsync.seconds)} | ${fmt(f.ours.seconds / f.rsyncFsync.seconds)} |`,
        `| full copy, MiB on the wire | ${mib(f.ours.wireBytes)} | ${mib(f.rsync.wireBytes)} | ${fmt(f.ours.wireBytes / f.rsync.wireBytes)} |`,
        `| re-sync (${fmt(r.changedMiB, 1)} MiB changed), wall time (s) | ${fmt(r.ours.seconds)} (engine ${fmt(r.ours.engineSeconds)}) | ${fmt(r.rsync.seconds)} | ${fmt(r.ours.seconds / r.rsync.seconds)} |`,
        `| re-sync, MiB on the wire | ${mib(r.ours.wireBytes)} | ${mib(r.rsync.wireBytes)} | ${fmt(r.ours.wireBytes / r.rsync.wireBytes)} |`,
      );
      rss.push(
        [f.ours.sourceRssMiB, f.ours.agentRssMiB],
        [r.ours.sourceRssMiB, r.ours.agentRssMiB],
      );
    }
    if (results.resyncCold) {
      const c = results.resyncCold;
      lines.push(
        `| re-sync from a cold page cache (${fmt(c.changedMiB, 1)} MiB changed), wall time (s) | ${fmt(c.ours.seconds)} (engine ${fmt(c.ours.engineSeconds)}) | ${fmt(c.rsync.seconds)} | ${fmt(c.ours.seconds / c.rsync.seconds)} |`,
        `| the same, MiB the source read from its disk | ${fmt(c.ours.sourceReadMiB, 1)} | ${fmt(c.rsync.sourceReadMiB, 1)} | ${fmt(c.ours.sourceReadMiB / c.rsync.sourceReadMiB)} |`,
      );
    } else if (results.resync)
      lines.push(
        '| re-sync from a cold page cache | skipped: the page cache cannot be dropped here (root only) | | |',
      );
    if (results.bigFile) {
      const b = results.bigFile;
      lines.push(
        `| one ${fmt(b.fileMiB, 0)} MiB file, ${fmt(b.changedMiB, 1)} MiB changed, wall time (s), against rsync --inplace --no-W | ${fmt(b.ours.seconds)} (engine ${fmt(b.ours.engineSeconds)}) | ${fmt(b.rsync.seconds)} | ${fmt(b.ours.seconds / b.rsync.seconds)} |`,
        `| one big file, MiB on the wire | ${mib(b.ours.wireBytes)} | ${mib(b.rsync.wireBytes)} | ${fmt(b.ours.wireBytes / b.rsync.wireBytes)} |`,
      );
      rss.push([b.ours.sourceRssMiB, b.ours.agentRssMiB]);
    }
    if (rss.length > 0)
      lines.push(
        `| peak RSS source / agent (MiB) | ${fmt(Math.max(...rss.map((r) => r[0] ?? 0)), 0)} / ${fmt(Math.max(...rss.map((r) => r[1] ?? 0)), 0)} | — | |`,
      );
    lines.push(
      '',
      `Limits in the same run: page-cache read ${fmt(limits.pageCacheReadMiBs, 0)} MiB/s, loopback TCP ${fmt(limits.loopbackTcpMiBs, 0)} MiB/s, loopback TLS ${fmt(limits.loopbackTlsMiBs, 0)} MiB/s, block hashes ${fmt(limits.blockHashMiBs, 0)} MiB/s.`,
    );
    if (typeof link === 'string') lines.push('', `Shaped link: ${link}`);
    else if (link)
      lines.push(
        '',
        `Over a ${link.linkMbit} Mbit/s link (tc tbf between two namespaces; plain TCP carries ${fmt(link.rawTcpMbit, 1)} Mbit/s on it):`,
        `| data | file data rate (Mbit/s) | ratio to plain TCP | on the wire / data |`,
        `| --- | --- | --- | --- |`,
        `| random, ${fmt(link.random.dataMiB, 0)} MiB | ${fmt(link.random.dataMbit, 1)} | ${fmt(link.random.dataMbit / link.rawTcpMbit)} | ${fmt(link.random.sentRatio, 3)} |`,
        `| text (TypeScript's lib), ${fmt(link.text.dataMiB, 0)} MiB | ${fmt(link.text.dataMbit, 1)} | ${fmt(link.text.dataMbit / link.rawTcpMbit)} | ${fmt(link.text.sentRatio, 3)} |`,
      );
    if (typeof pg === 'string') lines.push('', `PostgreSQL: ${pg}`);
    else if (pg) {
      lines.push(
        '',
        `PostgreSQL (pgbench -s ${pg.scale}, ${pg.dataMiB} MiB, about ${fmt(pg.tps, 0)} transactions/s during the migration):`,
        `rounds (MiB sent / ms): ${pg.rounds.map((r) => `${fmt(r.dirtyMiB, 1)}/${r.durationMs}${r.final ? ' (after the stop)' : ''}`).join(' → ')};`,
        `downtime predicted ${fmt(pg.predictedDowntimeMs / 1000)} s, measured ${fmt(pg.measuredDowntimeMs / 1000)} s, of which PostgreSQL's own stop ${fmt((pg.programMs?.stopMs ?? 0) / 1000)} s and start ${fmt((pg.programMs?.startMs ?? 0) / 1000)} s (measured without them: ${fmt(pg.measuredWithoutProgramMs / 1000)} s);`,
        `on the target: pg_amcheck ${pg.amcheck}, balances ${pg.balances} (${pg.balanced ? 'the invariant holds' : 'INVARIANT BROKEN'}); peak RSS source / agent ${fmt(pg.sourcePeakRssMiB, 0)} / ${fmt(pg.agentPeakRssMiB, 0)} MiB.`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (!process.env.BENCH_KEEP) await rm(base, { recursive: true, force: true });
  }
}

await main();
