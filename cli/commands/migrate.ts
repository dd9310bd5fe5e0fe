import type { Command } from 'commander';
import { peakRssBytes } from '../../engine/peak-rss.ts';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { P2VError } from '../../shared/errors.ts';
import type { ConvergenceDecision } from '../../shared/events.ts';
import { loadStoredReport } from '../../engine/migration/migration-state.ts';
import { runMigration } from '../../engine/migration/migrate.ts';
import { formatDuration } from '../../engine/report/format.ts';
import { writeReport } from '../../engine/report/write-report.ts';
import { parseSourceArgument } from '../../engine/source/source-map.ts';
import { parseBytes, parseCount, parseHostPort, parseSeconds } from '../parse-options.ts';
import { createProgressView } from '../progress-view.ts';

interface MigrateFlags {
  source: string[];
  target: string;
  token: string;
  fingerprint: string;
  exclude: string[];
  defaultExcludes: boolean;
  state?: string;
  report?: string;
  threshold: string;
  downtimeTarget: string;
  maxRounds: string;
  minRounds: string;
  stopCmd?: string;
  rollbackCmd?: string;
  verify: string;
  yes?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The state dir used when --state is not given: one per set of sources and target. */
function defaultState(sources: string[], target: string): string {
  const id = createHash('sha256')
    .update(JSON.stringify([sources, target]))
    .digest('hex')
    .slice(0, 12);
  const base =
    process.getuid?.() === 0 ? '/var/lib/p2v-wizard' : join(homedir(), '.local/state/p2v-wizard');
  return join(base, `migration-${id}`);
}

async function askToCutOver(
  decision: ConvergenceDecision,
  stopCommand: string | null,
): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new P2VError(
      'BAD_ARGUMENT',
      'the cutover needs a confirmation: run on a terminal or pass --yes',
    );
  }
  const predicted =
    decision.predictedDowntimeMs < 0 ? 'unknown' : formatDuration(decision.predictedDowntimeMs);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const what = stopCommand
      ? `This runs the stop command on this machine:\n  ${stopCommand}\n`
      : 'No stop command was given.\n';
    const answer = await rl.question(
      `\nReady to cut over (${decision.reason}). ${what}Predicted last round: ${predicted}. Cut over now? [y/N] `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Copy folders to an agent, sync changes in shrinking rounds, then cut over.')
    .requiredOption(
      '--source <dir[:targetpath]>',
      'folder to migrate; repeat for more (default: same path on the target)',
      collect,
      [],
    )
    .requiredOption('--target <host:port>', 'the agent')
    .requiredOption('--token <token>', 'pairing token the agent printed')
    .requiredOption(
      '--fingerprint <sha256>',
      'certificate fingerprint the agent printed, as confirmed',
    )
    .option('--exclude <glob>', 'leave out matching absolute paths; repeat for more', collect, [])
    .option(
      '--no-default-excludes',
      'do not leave out /proc, /sys, /dev, /run, /tmp and swap files',
    )
    .option('--state <dir>', 'where the record and the resume state are kept')
    .option('--report <dir>', 'write report.json and report.html here')
    .option('--threshold <bytes>', 'cut over once a round sends at most this much', '1MiB')
    .option(
      '--downtime-target <seconds>',
      'cut over once the last round is predicted to take at most this',
      '5',
    )
    .option('--max-rounds <n>', 'cut over after this many rounds at the latest', '10')
    .option('--min-rounds <n>', 'run at least this many rounds', '1')
    .option(
      '--stop-cmd <cmd>',
      'shell command that stops the program on this machine before the last round',
    )
    .option(
      '--rollback-cmd <cmd>',
      'shell command that starts it again if the handover cannot happen',
    )
    .option(
      '--verify <mode>',
      "'cached' reuses checksums of untouched files, 'full' re-reads everything",
      'cached',
    )
    .option('--yes', 'cut over without asking (for scripts)')
    .option('--json', 'one JSON event per line on stdout')
    .action(async (flags: MigrateFlags) => {
      if (flags.verify !== 'cached' && flags.verify !== 'full') {
        throw new P2VError('BAD_ARGUMENT', `--verify must be cached or full, not ${flags.verify}`);
      }
      const { host, port } = parseHostPort(flags.target);
      const sources = flags.source.map((s) => parseSourceArgument(s));
      const view = createProgressView(Boolean(flags.json));
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      const stopCommand = flags.stopCmd ?? null;
      const options = {
        sources,
        excludes: flags.exclude,
        useDefaultExcludes: flags.defaultExcludes,
        target: { host, port, token: flags.token, fingerprint: flags.fingerprint },
        stateDir: flags.state ?? defaultState(flags.source, flags.target),
        stopCommand,
        rollbackCommand: flags.rollbackCmd ?? null,
        verify: flags.verify,
        thresholdBytes: parseBytes(flags.threshold),
        downtimeTargetMs: parseSeconds(flags.downtimeTarget) * 1000,
        maxRounds: parseCount(flags.maxRounds),
        minRounds: parseCount(flags.minRounds),
        confirmCutover: (decision: ConvergenceDecision) =>
          flags.yes ? Promise.resolve(true) : askToCutOver(decision, stopCommand),
        emit: view.onEvent,
        signal: controller.signal,
      } as const;
      let report;
      try {
        report = await runMigration(options);
      } catch (error) {
        view.stop();
        if (flags.report) {
          const partial = await loadStoredReport(options.stateDir).catch(() => null);
          if (partial) {
            const files = await writeReport(partial, flags.report);
            process.stderr.write(`Report of what happened: ${files.html}\n`);
          }
        }
        throw error;
      }
      view.stop();
      const files = flags.report ? await writeReport(report, flags.report) : null;
      const summary = {
        event: 'finished',
        ok: report.ok,
        downtimeMs: report.cutover.downtimeMs,
        rounds: report.rounds.length,
        report: files?.html ?? null,
        peakRssBytes: peakRssBytes(),
      };
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        process.stderr.write(
          `Migration complete: ${report.rounds.length} rounds, downtime ${formatDuration(report.cutover.downtimeMs ?? 0)}.\n`,
        );
        if (files) process.stderr.write(`Report: ${files.html}\n`);
      }
    });
}
