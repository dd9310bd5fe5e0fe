// The PostgreSQL case of `npm run bench`: a real cluster under pgbench load is migrated with
// P2V Wizard; the stop is `pg_ctl stop -m fast`, the handover starts the copy on the target,
// which is then checked with pg_amcheck and pgbench's balance invariant.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigrationReport } from '../shared/report.ts';
import { migrateArgs, P2V_BIN, startAgentProcess } from '../test/helpers/agent-process.ts';
import { freePort } from '../engine/net/free-port.ts';
import { shellQuote } from '../engine/shell-command.ts';

/** What the PostgreSQL case measured. */
export interface PostgresResult {
  scale: number;
  dataMiB: number;
  /** Transactions per second pgbench reached while the migration ran. */
  tps: number;
  rounds: { dirtyMiB: number; durationMs: number; final: boolean }[];
  predictedDowntimeMs: number;
  measuredDowntimeMs: number;
  /** The pause without the program's own stop and start (which no prediction can know). */
  measuredWithoutProgramMs: number;
  programMs: { stopMs: number; startMs: number } | null;
  amcheck: 'ok' | string;
  balances: string;
  balanced: boolean;
  sourcePeakRssMiB: number;
  agentPeakRssMiB: number;
}

/** Debian's PostgreSQL binaries, or null when the postgresql package is not installed. */
export function findPostgres(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** PostgreSQL refuses to run as root: as root, its commands run as this user. */
function runAs(): string | null {
  if (process.getuid?.() !== 0) return null;
  for (const user of ['postgres', 'nobody']) {
    try {
      execFileSync('id', ['-u', user], { stdio: 'ignore' });
      return user;
    } catch {
      // not on this machine
    }
  }
  throw new Error('no user to run PostgreSQL as (postgres or nobody)');
}

export async function postgresCase(
  base: string,
  bin: string,
  scale: number,
  say: (line: string) => void,
): Promise<PostgresResult> {
  const user = runAs();
  const as = (command: string[]): string[] =>
    user ? ['runuser', '-u', user, '--', ...command] : command;
  const shell = (command: string[]): string => as(command).map(shellQuote).join(' ');
  const owned = async (dir: string): Promise<void> => {
    await mkdir(dir, { recursive: true });
    if (user) {
      const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
      await chown(dir, uid, gid);
    }
  };
  const run = (command: string[]): string =>
    execFileSync(command[0] as string, command.slice(1), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  // The bench folder is private to root; PostgreSQL's user must reach its own folders in it.
  if (user) await chmod(base, 0o711);
  const dir = join(base, 'pg');
  const source = join(dir, 'source');
  const target = join(dir, 'target');
  const sockets = join(dir, 'sockets');
  await owned(dir);
  await owned(source);
  await owned(sockets);
  const data = join(source, 'data');
  const sourcePort = await freePort();
  const targetPort = await freePort();
  const pg = (name: string): string => join(bin, name);
  /** `pg_ctl start` of a cluster on a port of its own, on Unix sockets only, logging to `log`. */
  const startServer = (dataDir: string, port: number, log: string): string[] => [
    pg('pg_ctl'),
    '-D',
    dataDir,
    '-o',
    `-p ${port} -k ${sockets} -c listen_addresses=''`,
    '-l',
    log,
    '-w',
    'start',
  ];

  say(`initdb and pgbench -i -s ${scale}`);
  run(as([pg('initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-instructions']));
  run(as(startServer(data, sourcePort, join(source, 'server.log'))));
  const client = (port: number): string[] => ['-h', sockets, '-p', String(port), '-U', 'postgres'];
  run(as([pg('pgbench'), ...client(sourcePort), '-i', '-q', '-s', String(scale), 'postgres']));
  const dataMiB = Number(run(['du', '-sm', data]).split('\t')[0]);

  const targetData = join(target, 'data');
  const agent = await startAgentProcess([
    '--root',
    target,
    '--state',
    join(dir, 'agent-state'),
    '--on-handover',
    shell(startServer(targetData, targetPort, join(dir, 'target-server.log'))),
  ]);
  let load: ChildProcess | null = null;
  try {
    say('migrating under pgbench load');
    const [command, ...args] = as([
      pg('pgbench'),
      ...client(sourcePort),
      '-c',
      '2',
      '-j',
      '1',
      '-T',
      '3600',
      '-n',
      'postgres',
    ]);
    // Its errors once the server stops (every client loses its connection) are expected.
    load = spawn(command as string, args, { stdio: 'ignore' });
    const loadExited = new Promise<void>((resolve) => load?.once('exit', () => resolve()));
    const startedAt = Date.now();
    const reportDir = join(dir, 'report');
    const migration = spawn(
      process.execPath,
      [
        P2V_BIN,
        ...migrateArgs(agent, source, [
          '--state',
          join(dir, 'state'),
          '--report',
          reportDir,
          '--downtime-target',
          '5',
          '--max-rounds',
          '12',
          '--min-rounds',
          '2',
          '--stop-cmd',
          shell([pg('pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']),
          // Shared buffers hold changed pages the rounds cannot see; a checkpoint writes them
          // while PostgreSQL still runs, so its stop (another checkpoint) writes little.
          '--flush-cmd',
          shell([pg('psql'), ...client(sourcePort), '-qc', 'CHECKPOINT', 'postgres']),
          '--rollback-cmd',
          shell(startServer(data, sourcePort, join(source, 'server.log'))),
        ]),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    migration.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => migration.once('exit', resolve));
    if (code !== 0) throw new Error(`p2v migrate exited ${code}`);
    await loadExited;
    const seconds = (Date.now() - startedAt) / 1000;
    // pgbench reports nothing after its server went away: count the transactions it made.
    const report = JSON.parse(
      await readFile(join(reportDir, 'report.json'), 'utf8'),
    ) as MigrationReport;
    const finished = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((e) => e.event === 'finished');

    say('checking the copy on the target');
    let amcheck = 'ok';
    try {
      run(
        as([
          pg('pg_amcheck'),
          ...client(targetPort),
          '--install-missing',
          '--heapallindexed',
          'postgres',
        ]),
      );
    } catch (error) {
      amcheck = String((error as { stdout?: string }).stdout ?? (error as Error).message).slice(
        0,
        500,
      );
    }
    const balances = run(
      as([
        pg('psql'),
        ...client(targetPort),
        '-Atc',
        'select (select sum(abalance) from pgbench_accounts), (select sum(bbalance) from pgbench_branches), (select sum(tbalance) from pgbench_tellers), (select coalesce(sum(delta), 0) from pgbench_history)',
        'postgres',
      ]),
    ).trim();
    const transactions = Number(
      run(
        as([
          pg('psql'),
          ...client(targetPort),
          '-Atc',
          'select count(*) from pgbench_history',
          'postgres',
        ]),
      ).trim(),
    );
    run(as([pg('pg_ctl'), '-D', targetData, '-m', 'fast', '-w', 'stop']));
    await agent.stop();
    const programMs = report.cutover.programMs ?? null;
    const measured = report.cutover.downtimeMs ?? -1;
    return {
      scale,
      dataMiB,
      tps: transactions / seconds,
      rounds: report.rounds.map((r) => ({
        dirtyMiB: r.dirtyBytes / 1024 / 1024,
        durationMs: r.durationMs,
        final: r.final,
      })),
      predictedDowntimeMs: report.convergence?.predictedDowntimeMs ?? -1,
      measuredDowntimeMs: measured,
      measuredWithoutProgramMs: measured - (programMs ? programMs.stopMs + programMs.startMs : 0),
      programMs,
      amcheck,
      balances,
      balanced: new Set(balances.split('|')).size === 1,
      sourcePeakRssMiB: Number(finished?.peakRssBytes) / 1024 / 1024,
      agentPeakRssMiB:
        Number(agent.events.find((e) => e.event === 'exit')?.peakRssBytes) / 1024 / 1024,
    };
  } finally {
    load?.kill('SIGKILL');
    await agent.stop();
    for (const stopData of [data, targetData]) {
      try {
        run(as([pg('pg_ctl'), '-D', stopData, '-m', 'immediate', '-w', 'stop']));
      } catch {
        // not running
      }
    }
  }
}
