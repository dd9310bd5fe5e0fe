import type { Command } from 'commander';
import { peakRssBytes } from '../../engine/peak-rss.ts';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { P2VError } from '../../shared/errors.ts';
import type { ConvergenceDecision } from '../../shared/events.ts';
import { loadStoredReport } from '../../engine/migration/migration-state.ts';
import { runMigration } from '../../engine/migration/migrate.ts';
import { defaultStateRoot, stateFolderFor } from '../../engine/migration/state-key.ts';
import type { MigrationEvent } from '../../shared/events.ts';
import { cancelOnSignals } from '../signals.ts';
import { formatBytes, formatDuration } from '../../shared/format.ts';
import { writeReport } from '../../engine/report/write-report.ts';
import { parseSourceArgument } from '../../engine/source/source-map.ts';
import {
  parseBytes,
  parseCount,
  parseHostPort,
  parseCompressionMode,
  parseRate,
  parseSeconds,
} from '../parse-options.ts';
import { RateLimit } from '../../engine/protocol/rate-limit.ts';
import { BlockCompression } from '../../engine/protocol/block-compression.ts';
import { describeTarget } from '../../engine/converge/program-throttle.ts';
import { parseConvergeTarget } from '../converge-target.ts';
import { controlBandwidth, describeRate } from '../bandwidth-control.ts';
import { createProgressView } from '../progress-view.ts';
import { cliTranslator } from '../cli-language.ts';
import type { UpdateCondition } from '../../shared/driver-plan.ts';
import type { MigrationCheck } from '../../shared/report.ts';
import { measureSources, type SourceMeasure } from '../../engine/preflight/measure-sources.ts';
import type { AgentAddress } from '../../engine/source/agent-client.ts';
import { DiskPlan, INTERFACE_NAME, type VmBoot, type VmRequest } from '../../shared/vm-image.ts';
import { readJsonFile } from '../read-json.ts';

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
  releaseCmd?: string;
  flushCmd?: string;
  verify: string;
  yes?: boolean;
  json?: boolean;
  profile?: string;
  condition: string;
  agentInVm?: boolean;
  sharedNetwork?: boolean;
  driverTree?: string;
  driverTarget?: string;
  vm?: string;
  vmPlan?: string;
  vmMemory: string;
  vmCpus: string;
  vmHandoverCmd?: string;
  vmBridge?: string;
  ioTimeout: string;
  bwlimit?: string;
  compress: string;
  autoConverge?: string;
  convergeMethod: string;
  restart?: boolean;
  resumeCutover?: boolean;
  crossMounts?: boolean;
}

const VM_BOOTS: VmBoot[] = ['direct', 'grub-bios', 'grub-efi'];

/** This machine's disks as the VM gets them. */
async function inspectAndPlanDisk(): Promise<DiskPlan> {
  const { inspectMachine } = await import('../../engine/inspection/inspect-machine.ts');
  const { planDisk } = await import('../../engine/vm/disk-plan.ts');
  return planDisk(await inspectMachine());
}

/** The VM the target builds after the copy (--vm), or undefined when the rounds go to the agent. */
async function vmRequest(flags: MigrateFlags): Promise<VmRequest | undefined> {
  if (!flags.vm) return undefined;
  if (!VM_BOOTS.includes(flags.vm as VmBoot))
    throw new P2VError('BAD_ARGUMENT', `--vm must be one of ${VM_BOOTS.join(', ')}`);
  if (flags.vmBridge !== undefined && !INTERFACE_NAME.test(flags.vmBridge))
    throw new P2VError(
      'BAD_ARGUMENT',
      `--vm-bridge must name a network interface of the conversion host (up to 15 letters, digits, _ . : -), not ${JSON.stringify(flags.vmBridge)}`,
    );
  // The inspection and the profiles load only here and in the check: a migration without
  // them starts without their packages.
  const plan = flags.vmPlan
    ? await readJsonFile(flags.vmPlan, '--vm-plan', DiskPlan)
    : await inspectAndPlanDisk();
  return {
    plan,
    format: 'qcow2',
    boot: flags.vm as VmBoot,
    memoryMiB: parseCount(flags.vmMemory),
    cpus: parseCount(flags.vmCpus),
    handoverCommand: flags.vmHandoverCmd ?? null,
    ...(flags.vmBridge ? { bridge: flags.vmBridge } : {}),
  };
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

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
  const t = cliTranslator();
  const predicted =
    decision.predictedDowntimeMs < 0
      ? t('cli.migrate.unknown')
      : formatDuration(decision.predictedDowntimeMs, t);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const what = stopCommand
      ? t('cli.migrate.askStop', { command: stopCommand })
      : t('cli.migrate.askNoStop');
    const answer = await rl.question(
      `\n${t('cli.migrate.ask', { reason: t(`reasons.${decision.reason}`), what, predicted })} [y/N] `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** The check before the copy: printed, kept for the report, and fatal when something blocks. */
async function runCheck(
  flags: MigrateFlags,
  target: AgentAddress,
  measured: SourceMeasure,
  json: boolean,
  vmPlan: DiskPlan | undefined,
): Promise<MigrationCheck> {
  if (!['missing', 'any', 'major'].includes(flags.condition))
    throw new P2VError('BAD_ARGUMENT', `--condition must be missing, any or major`);
  const { checkMigration, toMigrationCheck } =
    await import('../../engine/preflight/check-migration.ts');
  const { describeCheck } = await import('../check-summary.ts');
  const result = await checkMigration({
    profile: flags.profile as string,
    condition: flags.condition as UpdateCondition,
    target,
    agentInVm: Boolean(flags.agentInVm),
    sharedNetwork: Boolean(flags.sharedNetwork),
    selectedBytes: measured.allocatedBytes,
    ...(vmPlan ? { vmPlan } : {}),
    ...(flags.driverTree
      ? {
          driverTree: {
            source: flags.driverTree,
            ...(flags.driverTarget ? { target: flags.driverTarget } : {}),
            send: true,
          },
        }
      : {}),
  });
  const check = toMigrationCheck(result);
  if (json) process.stdout.write(`${JSON.stringify({ event: 'check', ...check })}\n`);
  else
    process.stderr.write(
      describeCheck(cliTranslator(), result.plan, result.preflight, result.driverFiles),
    );
  if (result.blocked) throw new P2VError('BLOCKED');
  return check;
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
    .option(
      '--cross-mounts',
      'also copy filesystems mounted below the sources (by default each is left out and listed)',
    )
    .option('--state <dir>', 'where the record and the resume state are kept')
    .option(
      '--report <dir>',
      'write report.json and report.html here (default: in the state folder)',
    )
    .option('--threshold <bytes>', 'cut over once a round sends at most this much', '1MiB')
    .option(
      '--downtime-target <seconds>',
      'cut over once the pause after the stop (the last round, rescan, mirror check and verification, as measured in the rounds) is predicted to take at most this',
      '5',
    )
    .option('--max-rounds <n>', 'cut over after this many rounds at the latest', '10')
    .option('--min-rounds <n>', 'run at least this many rounds', '1')
    .option(
      '--stop-cmd <cmd>',
      'shell command that stops the program on this machine before the last round',
    )
    .option(
      '--flush-cmd <cmd>',
      'shell command run while the program still runs, once the rounds converge, that makes it write what it holds in memory (PostgreSQL: psql -c CHECKPOINT); one more round sends that before the stop',
    )
    .option(
      '--rollback-cmd <cmd>',
      'shell command that starts it again if the handover cannot happen',
    )
    .option(
      '--release-cmd <cmd>',
      'run here once the target started the program, to give up what the VM takes over (e.g. ip addr del 192.0.2.10/24 dev ens192); a run killed before it runs it next time',
    )
    .option(
      '--verify <mode>',
      "'cached' reuses checksums of untouched files, 'full' re-reads everything",
      'cached',
    )
    .option(
      '--profile <id|file>',
      'check this machine against a VM profile first; blockers stop here',
    )
    .option(
      '--condition <when>',
      'with --profile: update drivers when missing | any | major',
      'any',
    )
    .option(
      '--agent-in-vm',
      'with --profile: the agent runs inside the VM; take its OS and drivers',
    )
    .option('--shared-network', 'with --profile: source and VM share a network (identity warnings)')
    .option(
      '--driver-tree <dir>',
      'with --profile: send the driver files that differ from the VM’s first',
    )
    .option(
      '--driver-target <path>',
      'where on the agent they go (default: the profile’s staging folder)',
    )
    .option(
      '--vm <boot>',
      "after the copy, the target builds the VM and boots it ('direct', 'grub-bios' or 'grub-efi') with an agent inside; the rounds, cutover and handover go to it",
    )
    .option(
      '--vm-plan <file>',
      "with --vm: the VM's disk layout (default: p2v vm plan of this machine)",
    )
    .option('--vm-memory <MiB>', 'with --vm: memory of the VM', '2048')
    .option('--vm-cpus <n>', 'with --vm: virtual CPUs', '2')
    .option(
      '--vm-handover-cmd <cmd>',
      "with --vm: run inside the VM at handover, after the machine's services started",
    )
    .option(
      '--vm-bridge <name>',
      "with --vm: the conversion host's bridge to the source's network; the VM's card is on it, and comes up at handover with the source's address (see --release-cmd)",
    )
    .option(
      '--io-timeout <seconds>',
      'count the connection as lost (and reconnect) when the agent says nothing this long',
      '60',
    )
    .option(
      '--bwlimit <rate>',
      'send at most this much: Mbit/s (40), or with a unit (800kbit, 5MB/s)',
    )
    .option(
      '--auto-converge <program>',
      'when the rounds stop shrinking, slow the program in steps (20%, then 10 more a round) until they converge; let go before the stop command. A process id (with its children), unit:NAME (a systemd unit, through its own cgroup) or cgroup:PATH',
    )
    .option(
      '--converge-method <method>',
      'with --auto-converge: auto, cgroup-v2, cgroup-v1 or signals (a SIGSTOP/SIGCONT duty cycle)',
      'auto',
    )
    .option(
      '--compress <mode>',
      'compress file data: auto (measured: kept where it is faster), on or off',
      'auto',
    )
    .option(
      '--resume-cutover',
      'a cutover interrupted after the program was stopped goes on from there (default: start the program here again first)',
    )
    .option(
      '--restart',
      'start this migration over: the earlier state in the state folder is moved aside first',
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
      const stopCommand = flags.stopCmd ?? null;
      const stateDir = flags.state ?? stateFolderFor(defaultStateRoot(), sources, { host, port });
      const reportDir = flags.report ?? join(stateDir, 'report');
      let handedOverBefore: Extract<MigrationEvent, { type: 'handed-over-before' }> | null = null;
      let releasedNow = false;
      const emit = (event: MigrationEvent): void => {
        if (event.type === 'handed-over-before') handedOverBefore = event;
        if (event.type === 'warning' && event.said?.key === 'warnings.releasedLate')
          releasedNow = true;
        if (event.type === 'restarted')
          process.stderr.write(
            `--restart: the earlier migration's state was moved to ${event.archivedTo}; a new migration starts, comparing the target with this machine file by file. An agent that handed the earlier one over takes it only when started with --accept-new-migration.\n`,
          );
        view.onEvent(event);
      };
      const options = {
        sources,
        excludes: flags.exclude,
        useDefaultExcludes: flags.defaultExcludes,
        target: { host, port, token: flags.token, fingerprint: flags.fingerprint },
        stateDir,
        stopCommand,
        rollbackCommand: flags.rollbackCmd ?? null,
        releaseCommand: flags.releaseCmd ?? null,
        flushCommand: flags.flushCmd ?? null,
        verify: flags.verify,
        thresholdBytes: parseBytes(flags.threshold),
        downtimeTargetMs: parseSeconds(flags.downtimeTarget) * 1000,
        maxRounds: parseCount(flags.maxRounds),
        minRounds: parseCount(flags.minRounds),
        silenceLimitMs: parseCount(flags.ioTimeout) * 1000,
        rateLimit: new RateLimit(flags.bwlimit ? parseRate(flags.bwlimit) : null),
        compression: new BlockCompression(parseCompressionMode(flags.compress)),
        ...(flags.autoConverge
          ? { autoConverge: parseConvergeTarget(flags.autoConverge, flags.convergeMethod) }
          : {}),
        confirmCutover: (decision: ConvergenceDecision) =>
          flags.yes ? Promise.resolve(true) : askToCutOver(decision, stopCommand),
        emit,
        resumeCutover: Boolean(flags.resumeCutover),
        crossMounts: Boolean(flags.crossMounts),
        restart: Boolean(flags.restart),
      } as const;
      const vm = await vmRequest(flags);
      // Measured once: the free-space check and the copy's progress totals share the walk.
      const measured = flags.profile
        ? await measureSources(sources, flags.exclude, flags.defaultExcludes)
        : undefined;
      const check = measured
        ? await runCheck(flags, options.target, measured, Boolean(flags.json), vm?.plan)
        : undefined;
      let report;
      const controller = new AbortController();
      const restoreSignals = cancelOnSignals(controller);
      const bandwidthFile = join(stateDir, 'bwlimit');
      const stopBandwidthControl = await controlBandwidth(
        bandwidthFile,
        options.rateLimit,
        (line) => process.stderr.write(`${line}\n`),
      );
      if (options.autoConverge && !flags.json)
        process.stderr.write(
          `Auto-converge: if the rounds stop shrinking, ${describeTarget(options.autoConverge)} is slowed${'method' in options.autoConverge ? ` with ${options.autoConverge.method}` : ' through its own CPU limit'}; it runs at full speed again before the stop command, or when the migration ends.\n`,
        );
      const t = cliTranslator();
      if (!flags.json)
        process.stderr.write(
          `${t('cli.migrate.bandwidth', {
            rate:
              options.rateLimit.rate === null
                ? t('cli.migrate.noLimit')
                : describeRate(options.rateLimit.rate),
            file: bandwidthFile,
          })}\n`,
        );
      try {
        report = await runMigration({
          ...options,
          signal: controller.signal,
          ...(check ? { check } : {}),
          ...(vm ? { vm } : {}),
          ...(measured ? { sourceTotals: measured } : {}),
        });
      } catch (error) {
        view.stop();
        const partial = await loadStoredReport(options.stateDir).catch(() => null);
        if (partial) {
          const files = await writeReport(partial, reportDir);
          process.stderr.write(`${t('cli.migrate.partialReport', { path: files.html })}\n`);
        }
        throw error;
      } finally {
        restoreSignals();
        stopBandwidthControl();
      }
      view.stop();
      const files = await writeReport(report, reportDir);
      if (handedOverBefore) {
        sayHandedOverBefore(
          handedOverBefore,
          stateDir,
          files.html,
          Boolean(flags.json),
          releasedNow,
        );
        return;
      }
      const summary = {
        event: 'finished',
        ok: report.ok,
        downtimeMs: report.cutover.downtimeMs,
        predictedDowntimeMs: report.convergence?.predictedDowntimeMs ?? null,
        programMs: report.cutover.programMs ?? null,
        rounds: report.rounds.length,
        transfer: report.transfer ?? null,
        notCopied: report.notCopied?.count ?? 0,
        report: files.html,
        peakRssBytes: peakRssBytes(),
      };
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        const predicted = report.convergence?.predictedDowntimeMs ?? -1;
        const program = report.cutover.programMs;
        const notes = [
          ...(predicted >= 0
            ? [t('cli.migrate.predicted', { time: formatDuration(predicted, t) })]
            : []),
          ...(program
            ? [
                t('cli.migrate.program', {
                  stop: formatDuration(program.stopMs, t),
                  start: formatDuration(program.startMs, t),
                }),
              ]
            : []),
        ];
        const say = (line: string): void => void process.stderr.write(`${line}\n`);
        const left = report.notCopied;
        if (left && left.count > 0)
          say(
            t('cli.migrate.notCopied', {
              count: left.count,
              paths: `${left.paths
                .slice(0, 5)
                .map((p) =>
                  t('format.labelled', {
                    label: p.path,
                    value: t(`notCopied.reasons.${p.reason}`, { defaultValue: p.reason }),
                  }),
                )
                .join(', ')}${left.count > 5 ? ', …' : ''}`,
            }),
          );
        const transfer = report.transfer;
        if (transfer && transfer.dataBytes > 0)
          say(
            t('cli.migrate.fileData', {
              data: formatBytes(transfer.dataBytes),
              sent: formatBytes(transfer.sentBytes),
              percent: Math.round((transfer.sentBytes / transfer.dataBytes) * 100),
              compression: transfer.compression,
            }),
          );
        say(
          t(notes.length > 0 ? 'cli.migrate.completeWith' : 'cli.migrate.complete', {
            rounds: report.rounds.length,
            downtime: formatDuration(report.cutover.downtimeMs ?? 0, t),
            notes: notes.join(t('cli.migrate.notesJoin')),
          }),
        );
        if (report.vm)
          say(t('cli.migrate.vm', { pid: report.vm.pid, console: report.vm.serialLog }));
        say(t('cli.migrate.report', { path: files.html }));
      }
    });
}

/** A run after the handover: what happened then, and that nothing ran now. */
function sayHandedOverBefore(
  event: Extract<MigrationEvent, { type: 'handed-over-before' }>,
  stateDir: string,
  report: string,
  json: boolean,
  releasedNow: boolean,
): void {
  const { host, port, fingerprint } = event.target;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ event: 'finished', ok: true, handedOverBefore: event.at, target: event.target, report })}\n`,
    );
    return;
  }
  process.stderr.write(
    [
      `This migration was handed over at ${event.at} to ${host}:${port} (certificate ${fingerprint}).`,
      releasedNow
        ? 'Only the release command still owed was run now (see above): the program runs on the target.'
        : 'Nothing was run now: the program runs on the target.',
      `Report: ${report}`,
      `A new migration needs another --state folder than ${stateDir}, or --restart.`,
    ].join('\n') + '\n',
  );
}
