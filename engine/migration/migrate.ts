import { lstat, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import type {
  ConvergenceDecision,
  CutoverStep,
  MigrationEvent,
  MigrationPhase,
  DowntimeParts,
  RoundSummary,
} from '../../shared/events.ts';
import type { MigrationCheck, MigrationReport } from '../../shared/report.ts';
import type { MessageParams } from '../../shared/i18n/message.ts';
import { say } from '../i18n/say.ts';
import { vmLine } from '../vm/vm-line.ts';
import {
  displayPath,
  fromFsName,
  fromText,
  joinRaw,
  parentRaw,
  type RawPath,
} from '../paths/raw-path.ts';
import { ChangeRecord, type TakenPath } from '../record/change-record.ts';
import { KnownHashes } from '../record/known-hashes.ts';
import { statKey } from '../paths/stat-key.ts';
import {
  entryFrom,
  kindOf,
  modifiedNearRead,
  sameStat,
  SourceIndex,
  unsettled,
} from '../record/source-index.ts';
import type { AgentAddress, AgentClient } from '../source/agent-client.ts';
import { AgentLink } from './agent-link.ts';
import { RoundPlanner } from './round-planner.ts';
import { errorCode, errorParams } from './error-params.ts';
import type { VmRequest } from '../../shared/vm-image.ts';
import { HardLinks, type SentName } from '../source/hard-links.ts';
import type { SourceMapping } from '../source/source-map.ts';
import { syncItems, type SyncItem, type SyncTotals } from '../source/tree-sync.ts';
import { HashPool } from '../checksum/hash-pool.ts';
import { runShell } from '../shell-command.ts';
import { decideConvergence, type ConvergencePolicy, type DowntimeFloors } from './convergence.ts';
import { archiveState, MigrationState, newMigrationId } from './migration-state.ts';
import { migrationKey } from './state-key.ts';
import { CutoverJournal } from './cutover-journal.ts';
import { JournaledCutover, type Recovery } from './cutover.ts';
import { ProgressMeter } from './progress-meter.ts';
import { refuseEmptyVmVolumes } from './vm-volume-sources.ts';
import { selinuxRelabelWarning } from '../vm/selinux-labels.ts';
import { SourceSet } from './source-set.ts';
import { checkAgainstSent, verifyTarget } from './verify.ts';
import { checkMirror, type MirrorResult } from './mirror-check.ts';
import { measureSet } from '../preflight/measure-sources.ts';
import { VERSION } from '../version.ts';
import type { RateLimit } from '../protocol/rate-limit.ts';
import { BlockCompression } from '../protocol/block-compression.ts';
import {
  describeTarget,
  ProgramThrottle,
  startThrottle,
  type ConvergeTarget,
} from '../converge/program-throttle.ts';

/** Where auto-converge records what it set, in the state folder, until it is let go. */
const THROTTLE_FILE = 'throttle.json';

/** Everything a migration needs; the CLI and the wizard fill it in. */
export interface MigrationOptions extends ConvergencePolicy {
  sources: SourceMapping[];
  excludes: string[];
  useDefaultExcludes: boolean;
  target: AgentAddress;
  stateDir: string;
  /** Run on the source to stop the program before the last round; null when there is none. */
  stopCommand: string | null;
  /** Run on the source to start the program again when the cutover cannot hand over. */
  rollbackCommand: string | null;
  /**
   * Run on the source once the target started the program, to give up what the VM takes over
   * (the service address); run by a later run if this one is killed before it. Null: nothing.
   */
  releaseCommand?: string | null;
  /**
   * Run on the source while the program still runs, once the rounds converge: it makes the
   * program write what it holds in memory (PostgreSQL: CHECKPOINT), and one more round sends
   * that before the stop, so the stop's own flush is small. Null or absent: none.
   */
  flushCommand?: string | null;
  verify: 'cached' | 'full';
  /**
   * Asked once the rounds converge: true cuts over; false leaves the source running and the
   * state to resume; 'another-round' syncs once more and asks again (a technician still deciding).
   */
  confirmCutover: (decision: ConvergenceDecision) => Promise<boolean | 'another-round'>;
  /** Polled before each round: true cuts over now, before the rounds converge. */
  cutoverRequested?: () => boolean;
  emit: (event: MigrationEvent) => void;
  signal?: AbortSignal;
  reconnectAttempts?: number;
  /** How long the agent may say nothing before the connection counts as lost (default 60 s). */
  silenceLimitMs?: number;
  /**
   * The bandwidth limit for what the source sends; the caller keeps it and may change or lift
   * it while the migration runs.
   */
  rateLimit?: RateLimit;
  /**
   * Auto-converge: when the rounds stop shrinking, slow this program (a process and its
   * children) in steps, 20% then 10 more a round up to 99%, until they converge; let go before
   * the stop command, and on any end.
   */
  autoConverge?: ConvergeTarget;
  /** How file data is compressed (auto by default: measured and kept where it is faster). */
  compression?: BlockCompression;
  /** The check made before the copy (machine, profile, driver plan), kept in the report. */
  check?: MigrationCheck;
  /**
   * After the full copy, the target builds this VM from what it received, with an agent inside,
   * and the rounds, the cutover and the handover go to that agent (the seed's flow).
   */
  vm?: VmRequest;
  /** The sources' totals if they were just measured (the check before the copy did): not walked again. */
  sourceTotals?: { bytes: number; files: number };
  /** Waits before a reconnect attempt; injected so tests need not wait. */
  backoff?: (attempt: number) => Promise<void>;
  /**
   * A cutover interrupted after the program was stopped on the source (and before the target
   * was asked to start it) goes on from there; by default it is rolled back first.
   */
  resumeCutover?: boolean;
  /** Starts over: the state of an earlier migration in `stateDir` is moved aside first. */
  restart?: boolean;
  /** Enter filesystems mounted below the sources (by default they are left out and listed). */
  crossMounts?: boolean;
}

/**
 * Runs a whole migration: full copy with the change record already running, shrinking delta
 * rounds until they converge, then the cutover (stop, last round, verification, stop request,
 * handover). Resumes from the state dir after a crash or a lost connection.
 */
export async function runMigration(options: MigrationOptions): Promise<MigrationReport> {
  const migration = await Migration.open(options);
  return migration.run();
}

class Migration {
  /** The link to the copy's agent, or to the one inside the VM once it answered. */
  private readonly link: AgentLink;
  /** Entries reported as not copied (unreadable, special files), with the stat they had then. */
  private readonly skipped = new Map<RawPath, string>();
  private currentPhase: MigrationPhase | null = null;
  private readonly wholeRetry = new Set<RawPath>();
  private readonly cutover: JournaledCutover;
  private readonly planner: RoundPlanner;
  private attributesWarned = false;
  /** The last rescan's and mirror check's durations: floors of the pause after the stop. */
  private readonly measured = { rescanMs: 0, mirrorMs: 0 };
  private readonly compression: BlockCompression;
  /** Paths left out because the source cannot read them (or they cannot be copied), and why. */
  private readonly notCopied = new Map<string, string>();
  /** Auto-converge's hold on the program, once the rounds stopped shrinking. */
  private throttle: ProgramThrottle | null = null;
  /** Auto-converge could not slow the program: the rounds go on without it. */
  private throttleFailed = false;
  /** What earlier runs of this migration sent, before a resume. */
  private readonly transferBefore: MigrationReport['transfer'];

  private constructor(
    private readonly options: MigrationOptions,
    private readonly state: MigrationState,
    private readonly index: SourceIndex,
    private readonly record: ChangeRecord,
    private readonly sources: SourceSet,
    private readonly journal: CutoverJournal,
    /** What earlier migrations read, for the full copy only (then let go of). */
    private known: KnownHashes,
  ) {
    this.compression = options.compression ?? new BlockCompression('auto');
    this.transferBefore = state.report.transfer;
    this.planner = new RoundPlanner(record, sources, index, (key, params, path) =>
      this.warn(key, params, path),
    );
    this.link = new AgentLink(state.stored.vmTarget ?? options.target, {
      migrationId: state.report.id,
      ...(options.reconnectAttempts ? { reconnectAttempts: options.reconnectAttempts } : {}),
      ...(options.silenceLimitMs ? { silenceLimitMs: options.silenceLimitMs } : {}),
      ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
      compression: this.compression,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      checkCancelled: () => this.checkCancelled(),
      emit: options.emit,
      onConnected: (client, first) => this.onConnected(client, first),
    });
    this.cutover = new JournaledCutover({
      migrationId: state.report.id,
      stopCommand: options.stopCommand,
      rollbackCommand: options.rollbackCommand,
      releaseCommand: options.releaseCommand ?? null,
      report: state.report,
      journal,
      target: () => this.link.target,
      client: () => this.link.client,
      emit: options.emit,
      phase: (phase) => this.phase(phase),
      warn: (key, params) => this.warn(key, params),
      checkCancelled: () => this.checkCancelled(),
      ...(options.signal ? { signal: options.signal } : {}),
      withReconnect: (step, cancellable) => this.link.withReconnect(step, cancellable),
      lastRoundsAndVerify: (step) => this.lastRoundsAndVerify(step),
      stopWatching: () => this.record.stopWatching(),
    });
  }

  static async open(options: MigrationOptions): Promise<Migration> {
    const sources = new SourceSet(
      options.sources,
      [...options.excludes, options.stateDir],
      options.useDefaultExcludes,
      options.crossMounts ?? false,
    );
    // Before anything is written or sent: a VM with an empty /var is no migration.
    if (options.vm) refuseEmptyVmVolumes(options.vm.plan, sources);
    const sourceList = options.sources.map((s) => ({ dir: s.dir, target: displayPath(s.target) }));
    const key = migrationKey(options.sources, options.target);
    if (options.restart) {
      const moved = await archiveState(options.stateDir);
      if (moved) options.emit({ type: 'restarted', archivedTo: moved });
    }
    const state = await MigrationState.open(options.stateDir, key, () =>
      freshReport(options, sourceList),
    );
    if (state.resumed && options.check) {
      // A resumed migration checked again: the report keeps the newest check.
      state.report.check = options.check;
      await state.save();
    }
    // Read before a fresh start clears this folder's own index, which is one of them.
    const known = state.resumed ? KnownHashes.none : await KnownHashes.load(options.stateDir);
    if (!state.resumed) {
      await rm(join(options.stateDir, 'index.jsonl'), { force: true });
      await rm(join(options.stateDir, 'record.jsonl'), { force: true });
    }
    sources.hold(state.stored.heldByTarget ?? []);
    return new Migration(
      options,
      state,
      await SourceIndex.open(options.stateDir),
      await ChangeRecord.open(options.stateDir),
      sources,
      await CutoverJournal.open(options.stateDir),
      known,
    );
  }

  private get report(): MigrationReport {
    return this.state.report;
  }

  async run(): Promise<MigrationReport> {
    try {
      const undone = await ProgramThrottle.undoRecorded(join(this.options.stateDir, THROTTLE_FILE));
      if (undone)
        this.warn('throttleUndone', {
          program: undone.existing ? (undone.cgroup ?? '') : `process ${undone.pid}`,
          method: undone.method,
          level: undone.level,
        });
      // An earlier run's cutover is settled before anything else is run or sent.
      const recovery = await this.recover();
      if (recovery === 'handed-over-before') return this.report;
      if (recovery === 'handed-over-now') {
        await this.cutover.releaseIfDue();
        await this.finish();
        return this.report;
      }
      this.phase('connect');
      // The hashing threads start while the link is made, not at the first big file.
      HashPool.shared();
      await this.link.connect();
      if (recovery === 'cutover') {
        await this.cutover.run(null);
        await this.finish();
        return this.report;
      }
      // The record starts before the copy, so what changes while copying is caught.
      const unwatched = await this.record.watch(
        this.sources.watched,
        (path) => this.sources.locate(Buffer.from(path, 'utf8').toString('latin1')) === null,
      );
      if (unwatched) this.warn('watcherUnavailable', { reason: unwatched.message });
      if (this.state.stored.phase === 'copy') {
        await this.link.withReconnect(() => this.copy());
        await this.state.setPhase(this.options.vm ? 'vm' : 'rounds');
      } else if (this.state.resumed) {
        this.warn('resumed');
        await this.rescan();
      }
      if (this.state.stored.phase === 'vm' && this.options.vm) await this.startVm(this.options.vm);
      if (this.state.stored.phase === 'vm-check') {
        await this.checkVm();
        await this.state.setPhase('rounds');
      }
      let decision = await this.iterateRounds();
      for (;;) {
        const answer = await this.options.confirmCutover(decision);
        if (answer === true) break;
        if (answer === false) throw new P2VError('CANCELLED', 'cutover not confirmed');
        // Not confirmed yet: keep the target close behind while the technician decides.
        await this.round(false);
        decision = await this.decide(this.options.cutoverRequested?.() ?? false);
      }
      await this.state.setPhase('cutover');
      // The stop command must find the program running normally (a stopped process would not
      // even take its SIGTERM); what it writes in this moment goes in the last round.
      await this.releaseThrottle('cutover');
      await this.cutover.run(decision);
      await this.finish();
    } catch (error) {
      const failure =
        error instanceof P2VError
          ? error
          : new P2VError('IO_ERROR', String((error as Error)?.stack ?? error));
      this.report.ok = false;
      this.report.error = failure.toJSON();
      await this.state.save().catch(() => undefined);
      throw failure;
    } finally {
      await this.releaseThrottle('end').catch(() => undefined);
      this.report.finishedAt ??= new Date().toISOString();
      await this.record.stopWatching().catch(() => undefined);
      await this.record.flush().catch(() => undefined);
      await this.index.flush().catch(() => undefined);
      await this.state.save().catch(() => undefined);
      await this.link.close();
    }
    return this.report;
  }

  /**
   * Reads the cutover journal (and a finished state) first: a migration handed over is said so
   * and nothing runs; an interrupted cutover is rolled back, resumed, or settled with the agent.
   */
  private async recover(): Promise<Recovery> {
    const standing = this.journal.standing();
    if (this.state.stored.phase === 'done' || standing.kind === 'handed-over') {
      const at =
        standing.kind === 'handed-over' ? standing.at : (this.report.finishedAt ?? 'unknown');
      this.report.ok = true;
      this.report.error = null;
      await this.state.setPhase('done');
      // Killed between the handover and the release: the release is still owed.
      if (await this.cutover.releaseIfDue())
        this.warn('releasedLate', { command: this.options.releaseCommand ?? '' });
      const { host, port, fingerprint } = this.link.target;
      this.options.emit({ type: 'handed-over-before', at, target: { host, port, fingerprint } });
      return 'handed-over-before';
    }
    this.report.finishedAt = null;
    if (standing.kind === 'none') return 'rounds';
    this.phase('cutover');
    this.warn(`interrupted.${standing.kind}`, { since: standing.since });
    return this.cutover.recover(this.options.resumeCutover ?? false);
  }

  /** The program runs on the target: the migration is done. */
  private async finish(): Promise<void> {
    this.report.ok = true;
    this.report.error = null;
    this.report.finishedAt = new Date().toISOString();
    await this.state.setPhase('done');
    this.phase('done');
  }

  private phase(phase: MigrationPhase): void {
    if (phase === this.currentPhase) return;
    this.currentPhase = phase;
    this.options.emit({ type: 'phase', phase, at: new Date().toISOString() });
  }

  /** A warning from the catalogs: English in `message` (CLI, JSON), the key for the report's language. */
  private warn(key: string, params?: MessageParams, path?: string): void {
    const { text: message, message: said } = say(`warnings.${key}`, params);
    const warning = { message, ...(path ? { path } : {}), said };
    this.report.warnings.push(warning);
    this.options.emit({ type: 'warning', ...warning });
  }

  private checkCancelled(): void {
    if (this.options.signal?.aborted) throw new P2VError('CANCELLED');
  }

  /** A new connection: what the agent says of its cutover first, then who it is for the report. */
  private async onConnected(client: AgentClient, first: boolean): Promise<void> {
    await this.checkAgentCutover(client);
    if (this.link.target === this.options.target) {
      this.report.target.hostname = client.agent.hostname;
      this.report.target.platform = client.agent.platform;
    } else if (this.report.vm) this.report.vm.agent.hostname = client.agent.hostname;
    if (first && !client.agent.canChown) this.warn('notRoot');
  }

  /**
   * What the agent says of its cutover, before anything is sent or run: another migration's
   * stop or handover ends this one at once (nothing is stopped here); this migration's stop
   * that the journal says never led to a handover ask is undone, so the rounds can write.
   */
  private async checkAgentCutover(client: AgentClient): Promise<void> {
    const cutover = client.agent.cutover;
    if (!cutover) return;
    const { host, port } = this.link.target;
    const where = `the agent at ${host}:${port} recorded migration ${cutover.migration} as ${cutover.state} at ${cutover.at}`;
    if (cutover.migration !== this.report.id) {
      await client.close().catch(() => undefined);
      throw new P2VError(
        cutover.state === 'stopped' ? 'AGENT_STOPPED' : 'AGENT_HANDED_OVER',
        `${where}; this is migration ${this.report.id}`,
      );
    }
    const standing = this.journal.standing().kind;
    if (standing !== 'none' && standing !== 'stopped') return;
    if (cutover.state !== 'stopped') {
      await client.close().catch(() => undefined);
      throw new P2VError('AGENT_HANDED_OVER', `${where}, which this state folder does not know`);
    }
    await client.request({ t: 'reopen', migration: this.report.id });
  }

  /**
   * Asks the target to build the VM from the copy with an agent inside and start it, then moves
   * the migration over to that agent. A lost connection asks again and joins the same build.
   */
  private async startVm(request: VmRequest): Promise<void> {
    // What changed since the copy goes to the conversion host first: the image is fresher, and
    // a migration resumed after a fix on the source (a rebuilt initramfs) builds with the fix.
    const started = Date.now();
    if ((await this.planner.pending()).files > 0) await this.round(false);
    this.phase('vm');
    const { vm } = await this.link.withReconnect((client) =>
      client.startVm(request, (progress) => this.options.emit({ type: 'vm', progress })),
    );
    const address: AgentAddress = {
      host: this.options.target.host,
      port: vm.agentPort,
      token: vm.token,
      fingerprint: vm.fingerprint,
    };
    const { path, format, virtualBytes, fileBytes, hash, durationMs } = vm.image;
    this.report.vm = {
      boot: request.boot,
      image: { path, format, virtualBytes, fileBytes, hash, durationMs },
      command: vm.command,
      domainXml: vm.domainXml,
      serialLog: vm.serialLog,
      pid: vm.pid,
      agent: {
        host: address.host,
        port: address.port,
        fingerprint: address.fingerprint,
        hostname: null,
      },
      readyMs: Date.now() - started,
      bootMs: vm.bootMs,
      bootConfirmation: vm.bootConfirmation,
    };
    if (vm.initramfs) this.leaveToTarget(vm.initramfs.changed);
    if (vm.initramfs && this.report.vm) this.report.vm.initramfs = vm.initramfs;
    if (vm.initramfs)
      this.warn('initramfsRebuilt', {
        command: vm.initramfs.command,
        files: vm.initramfs.changed,
      });
    if (vm.image.selinuxRelabel) this.warn(...selinuxRelabelWarning(vm.image.selinuxRelabel));
    const references = vm.image.deviceReferences ?? [];
    // The VM's boot files name its own disk's filesystems, not the source's devices.
    this.leaveToTarget([...new Set(references.map((c) => c.file.replace(/^\/+/, '')))]);
    for (const change of references) this.warn('deviceReference', { ...change });
    // The VM boots from the program the build wrote on its ESP: the source's file there (RHEL's
    // shim fallback) would otherwise go back over it in the check and the rounds.
    const bootloader = vm.image.bootloaderFiles ?? [];
    this.leaveToTarget(bootloader.map((b) => b.file.replace(/^\/+/, '')));
    for (const { file } of bootloader.filter((b) => b.replaced))
      this.warn('bootloaderReplaced', { file });
    for (const problem of vm.image.bootFileProblems ?? [])
      this.warn('bootFileProblem', { problem });
    if (vm.network) {
      // The VM's network files differ from the source's on purpose (its card's name and MAC).
      this.leaveToTarget(vm.network.files.map((f) => f.path.replace(/^\/+/, '')));
      if (this.report.vm) this.report.vm.network = vm.network;
      for (const change of vm.network.changes)
        this.warn('networkChanged', { change: change.summary });
    }
    // Where the agent is and that the VM is up are saved at once: a resume goes to the VM.
    this.state.stored.vmTarget = address;
    await this.state.setPhase('vm-check');
    await this.link.moveTo(address);
  }

  /**
   * Files the VM's build changed on purpose (an initramfs rebuilt with the VM's disk drivers,
   * network files pinned to the VM's card): they leave the index (nothing compares or deletes
   * them) and the source's copies are never sent again, which would undo the change.
   */
  private leaveToTarget(paths: string[]): void {
    const targets = paths.map((path) => joinRaw(fromText(path)));
    this.sources.hold(targets);
    for (const target of targets) this.index.delete(target);
    this.state.stored.heldByTarget = [...(this.state.stored.heldByTarget ?? []), ...targets];
  }

  /**
   * Reads every file in the VM against what was sent, before the rounds: what the VM's own boot
   * changed goes again in the rounds instead of in a second verification after the stop, and
   * the VM agent's checksum cache is warm, so the verification after the stop reads only what
   * changed since. The source keeps running throughout.
   */
  private async checkVm(): Promise<void> {
    this.phase('vm');
    const started = Date.now();
    const tell = (key: string, params?: MessageParams): void =>
      this.options.emit({ type: 'vm', progress: vmLine('check', key, params) });
    tell('checking');
    const result = await this.link.withReconnect((client) =>
      checkAgainstSent(client, this.index, this.options.emit),
    );
    const differing = result.mismatches.map(displayPath);
    this.sendWholeAgain(result.mismatches);
    if (this.report.vm)
      this.report.vm.check = { files: result.files, differing, durationMs: Date.now() - started };
    if (differing.length === 0) tell('checkMatched', { files: result.files });
    else
      tell('checkDiffer', {
        files: result.files,
        count: differing.length,
        paths: [...differing.slice(0, 5), ...(differing.length > 5 ? ['…'] : [])],
      });
    await this.state.save();
  }

  /**
   * Files the target changed behind our back (a VM's own boot writes files the source left
   * alone): what the index says was sent is forgotten, so the unchanged source file goes again,
   * whole.
   */
  private sendWholeAgain(targets: RawPath[]): void {
    for (const target of targets) {
      this.wholeRetry.add(target);
      const entry = this.index.get(target);
      if (!entry) continue;
      this.index.set(target, unsettled(entry));
      this.record.mark(entry.source);
    }
  }

  /** The full copy; after a crash it skips what the index shows the target already holds. */
  private async copy(): Promise<void> {
    this.phase('copy');
    for (const mount of this.sources.mountsLeftOut)
      this.warn('mountNotCrossed', { path: mount.path, type: mount.type }, mount.path);
    const started = Date.now();
    const expected = this.options.sourceTotals ?? (await measureSet(this.sources));
    const meter = new ProgressMeter('copy', expected.bytes, expected.files, this.options.emit);
    const index = this.index;
    const sources = this.sources;
    const onError = (path: string, error: Error): void => {
      this.notCopied.set(path, errorCode(error));
      this.warn('notCopied', errorParams(error), path);
    };
    let skipped = 0;
    async function* items(): AsyncGenerator<SyncItem> {
      yield* await sources.ancestors();
      for await (const entry of sources.walkAll(onError)) {
        const known = index.get(entry.target);
        // Folders always go again: files added below them changed their times on the target.
        if (known && sameStat(known, entry.info) && !entry.info.isDirectory()) {
          skipped++;
          if (entry.info.isFile()) meter.add(Number(entry.info.size), 1, '');
          continue;
        }
        yield entry;
      }
    }
    const totals = await this.sync(items(), meter, new Map());
    this.known = KnownHashes.none;
    meter.finish();
    await this.index.compact();
    // A target that held an older copy: what the source no longer has goes now, not at the stop.
    await this.mirror(false);
    const previous = this.report.copy;
    this.report.copy = {
      files: totals.files + (previous?.files ?? 0),
      entries: totals.items + skipped,
      scannedBytes: totals.scannedBytes + (previous?.scannedBytes ?? 0),
      dirtyBytes: totals.dirtyBytes + (previous?.dirtyBytes ?? 0),
      wireBytes: totals.wireBytes + (previous?.wireBytes ?? 0),
      durationMs: Date.now() - started + (previous?.durationMs ?? 0),
      failed: totals.failed,
      resumed: this.state.resumed || (previous?.resumed ?? false),
      ...(totals.known > 0 || previous?.known
        ? {
            known: {
              files: totals.known + (previous?.known?.files ?? 0),
              bytes: totals.knownBytes + (previous?.known?.bytes ?? 0),
            },
          }
        : {}),
    };
    this.noteTransfer();
    await this.state.save();
  }

  /**
   * Names of hard-linked inodes the index holds, by source dev:ino, built once a pass: a name
   * counts only while its stat is the inode's current one (its content went with it).
   */
  private sentNames(): SentName {
    let byInode: Map<string, RawPath[]> | null = null;
    return (key, entry) => {
      if (!byInode) {
        byInode = new Map();
        for (const [target, known] of this.index.entries) {
          if (known.kind !== 'file' || known.nlink < 2) continue;
          const inode = `${known.dev}:${known.ino}`;
          byInode.set(inode, [...(byInode.get(inode) ?? []), target]);
        }
      }
      for (const target of byInode.get(key) ?? []) {
        const known = this.index.get(target);
        if (target !== entry.target && known && sameStat(known, entry.info)) return target;
      }
      return null;
    };
  }

  /** One pass of the tree sync with the index, the record and progress kept up to date. */
  private sync(
    items: AsyncIterable<SyncItem> | Iterable<SyncItem>,
    meter: ProgressMeter,
    taken: Map<RawPath, TakenPath[]>,
  ): Promise<SyncTotals> {
    const links = new HardLinks(this.sentNames());
    const client = this.link.client as AgentClient;
    return syncItems(
      client,
      items,
      {
        applied: (item, outcome) => {
          if (item.source === null) {
            this.index.delete(item.target);
          } else {
            // Another name of an inode already sent shares its checksum and what it was read as.
            const primary = outcome.linkedTo ? this.index.get(outcome.linkedTo) : undefined;
            const entry = entryFrom(
              fromFsName(item.source),
              item.info,
              outcome.hash ?? primary?.hash ?? null,
            );
            if (entry && primary?.racy) entry.racy = true;
            if (entry && primary?.xattrs !== undefined) entry.xattrs = primary.xattrs;
            if (entry && outcome.readFromMs && modifiedNearRead(item.info, outcome.readFromMs))
              entry.racy = true;
            if (entry && outcome.xattrs !== undefined) entry.xattrs = outcome.xattrs;
            if (entry) this.index.set(item.target, outcome.stable ? entry : unsettled(entry));
            if (!outcome.stable) this.record.mark(fromFsName(item.source));
            this.wholeRetry.delete(item.target);
            if (this.notCopied.size > 0) this.notCopied.delete(displayPath(item.target));
            if (!item.info.isFile()) meter.add(0, 0, displayPath(item.target));
          }
          for (const t of taken.get(item.target) ?? []) this.record.clear(t);
        },
        failed: (item, error) => {
          const code = error instanceof P2VError ? error.code : 'IO_ERROR';
          if (code === 'CHECKSUM_MISMATCH') this.wholeRetry.add(item.target);
          // A file the source cannot read is reported, not retried each round nor made a
          // reason to refuse the cutover; a special file the same.
          const unreadable = ['EACCES', 'EPERM'].includes(
            (error as NodeJS.ErrnoException).code ?? '',
          );
          const path = displayPath(item.target);
          if (item.source && (code === 'UNSUPPORTED_FILE' || unreadable)) {
            this.skipped.set(item.target, statKey(item.info));
            this.notCopied.set(path, errorCode(error));
            this.warn('skipped', { path, ...errorParams(error) }, path);
            return;
          }
          if (item.source) this.record.mark(fromFsName(item.source));
          this.warn('pathFailed', { path, ...errorParams(error) }, path);
        },
        progress: (item, bytes) => meter.add(bytes, 1, displayPath(item.target)),
        hardLinkPrimary: (entry) => links.primaryFor(entry),
        warned: (item, warning) => this.attributeWarning(item.target, warning),
        wholeFile: (entry) => this.wholeRetry.has(entry.target),
        knownHash: (entry) => this.known.hashOf(fromFsName(entry.source), entry.info),
      },
      'delta',
      this.options.signal,
    );
  }

  /**
   * A size/mtime walk over all sources that marks in the record whatever the index disagrees
   * with; returns how many paths it marked that the record did not hold yet.
   */
  private async rescan(): Promise<number> {
    const started = Date.now();
    const seen = new Set<RawPath>();
    let marked = 0;
    for await (const entry of this.sources.walkAll(() => undefined)) {
      seen.add(entry.target);
      if (kindOf(entry.info) === null || this.skipped.get(entry.target) === statKey(entry.info))
        continue;
      const known = this.index.get(entry.target);
      if (!known || !sameStat(known, entry.info)) {
        const source = fromFsName(entry.source);
        if (!this.record.has(source)) marked++;
        this.record.mark(source);
      }
    }
    for (const [target, entry] of this.index.entries) {
      if (seen.has(target)) continue;
      if (!this.record.has(entry.source)) marked++;
      this.record.mark(entry.source);
    }
    this.record.lostEvents = 0;
    this.measured.rescanMs = Date.now() - started;
    return marked;
  }

  /**
   * What every cutover pays whatever the last round sends, from what the rounds measured: the
   * rescan and the mirror check as they last took; the verification, which in cached mode is a
   * stat of every file on each side (the rescan's cost), plus in full mode a read of every byte
   * at the speed the copy read them.
   */
  private downtimeFloors(): DowntimeFloors {
    const { rescanMs, mirrorMs } = this.measured;
    let verifyMs = rescanMs;
    const copy = this.report.copy;
    // The copy's read rate: files an earlier migration's read vouched for were not read.
    const readBytes = copy ? copy.scannedBytes - (copy.known?.bytes ?? 0) : 0;
    if (this.options.verify === 'full' && copy && readBytes > 0) {
      let bytes = 0;
      for (const [, entry] of this.index.entries)
        if (entry.kind === 'file') bytes += Number(entry.size);
      verifyMs += (copy.durationMs / readBytes) * bytes;
    }
    return { rescanMs, mirrorMs, verifyMs };
  }

  /**
   * What the target could not set (extended attributes on a file system without them, a
   * namespace only root writes): said for the first path only, not once per file.
   */
  private attributeWarning(target: RawPath, warning: string): void {
    if (this.attributesWarned) return;
    this.attributesWarned = true;
    const path = displayPath(target);
    this.warn('attributesNotSet', { path, detail: warning }, path);
  }

  /**
   * Whether the rounds should end with the flush command and the round that sends its writes:
   * once per migration run, so late watcher events after the flush round do not set off another.
   */
  private needsFlush(): boolean {
    return Boolean(this.options.flushCommand) && !this.report.rounds.some((r) => r.afterFlush);
  }

  /** Runs the flush command; a failure is said and the rounds go on without it. */
  private async flushProgram(): Promise<void> {
    const command = this.options.flushCommand as string;
    const { exitCode, output } = await runShell(command, process.cwd(), this.options.signal);
    this.checkCancelled();
    if (exitCode !== 0)
      this.warn('flushFailed', {
        command,
        exitCode: String(exitCode),
        output: output.trim().slice(0, 300),
      });
  }

  /** The report's transfer totals: this run's on top of what earlier runs of it sent. */
  private noteTransfer(): void {
    this.report.notCopied = {
      count: this.notCopied.size,
      paths: [...this.notCopied].slice(0, 100).map(([path, reason]) => ({ path, reason })),
    };
    const earlier = this.transferBefore;
    this.report.transfer = {
      compression: this.compression.mode,
      dataBytes: (earlier?.dataBytes ?? 0) + this.compression.dataBytes,
      sentBytes: (earlier?.sentBytes ?? 0) + this.compression.sentBytes,
      bandwidthLimit: this.options.rateLimit?.rate ?? null,
    };
  }

  private async round(final: boolean, afterFlush = false): Promise<RoundSummary> {
    const number = this.report.rounds.length + 1;
    const startedAt = new Date();
    const summary = await this.link.withReconnect(async () => {
      const { items, taken, bytes } = await this.planner.plan(this.report.rounds.length + 1);
      const files = items.filter((i) => i.info?.isFile()).length;
      const meter = new ProgressMeter('rounds', bytes, files, this.options.emit);
      const totals = await this.sync(items, meter, taken);
      meter.finish();
      return totals;
    });
    await this.index.flush();
    await this.record.flush();
    const round: RoundSummary = {
      round: number,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      dirtyFiles: summary.files,
      scannedBytes: summary.scannedBytes,
      dirtyBytes: summary.dirtyBytes,
      wireBytes: summary.wireBytes,
      deleted: summary.removed,
      final,
      ...(afterFlush ? { afterFlush } : {}),
    };
    if (this.throttle && this.throttle.level > 0) round.throttle = this.throttle.level;
    this.report.rounds.push(round);
    this.noteTransfer();
    await this.state.save();
    this.options.emit({ type: 'round', summary: round });
    return round;
  }

  /** Delta rounds until the convergence rule says the next one can be the last. */
  private async iterateRounds(): Promise<ConvergenceDecision> {
    this.phase('rounds');
    for (;;) {
      this.checkCancelled();
      if (this.record.lostEvents > 0) {
        this.warn('lostEvents');
        await this.rescan();
      } else if (!this.record.watching) await this.rescan();
      let decision = await this.decide(this.options.cutoverRequested?.() ?? false);
      const trusted = decision.reason === 'max-rounds' || decision.reason === 'requested';
      if (decision.converged && !trusted && (await this.watcherMissed()))
        decision = await this.decide(this.options.cutoverRequested?.() ?? false);
      if (decision.converged && this.needsFlush()) {
        await this.flushProgram();
        // What the flush wrote is in the record before the round, not when the watcher's
        // events arrive: a stat walk, once per convergence.
        await this.rescan();
        await this.round(false, true);
        continue;
      }
      if (decision.converged && decision.reason === 'not-shrinking' && (await this.slowDown())) {
        await this.round(false);
        continue;
      }
      if (decision.converged) return decision;
      await this.round(false);
    }
  }

  /** Auto-converge's next step, if it is on and has one left; false when it has none. */
  private async slowDown(): Promise<boolean> {
    const wanted = this.options.autoConverge;
    if (!wanted || this.throttleFailed) return false;
    // A program that cannot be slowed (gone, a cgroup not writable) leaves the rounds to the
    // rule, as without auto-converge: said once, never a reason to fail the migration.
    try {
      this.throttle ??= await startThrottle(wanted, join(this.options.stateDir, THROTTLE_FILE));
      if (this.throttle.level >= 99) return false;
      await this.throttle.setLevel(this.throttle.level === 0 ? 20 : this.throttle.level + 10);
    } catch (error) {
      this.throttleFailed = true;
      this.warn('throttleFailed', {
        program: describeTarget(wanted),
        reason: (error as Error).message,
      });
      await this.releaseThrottle('failed').catch(() => undefined);
      return false;
    }
    const throttle = this.throttle;
    const level = throttle.level;
    const record = (this.report.autoConverge ??= {
      program: describeTarget(wanted),
      method: throttle.method,
      steps: [],
      releasedAt: null,
    });
    record.steps.push({
      round: this.report.rounds.length + 1,
      level,
      at: new Date().toISOString(),
    });
    this.warn('throttled', {
      program: describeTarget(wanted),
      share: 100 - level,
      method: throttle.method,
    });
    return true;
  }

  /** Lets the program run at full speed again (before the stop command, and on any end). */
  private async releaseThrottle(why: string): Promise<void> {
    const throttle = this.throttle;
    if (!throttle) return;
    this.throttle = null;
    await throttle.release();
    if (this.report.autoConverge) this.report.autoConverge.releasedAt = new Date().toISOString();
    const wanted = this.options.autoConverge;
    this.warn('throttleReleased', { program: wanted ? describeTarget(wanted) : '', why });
  }

  /**
   * The watcher is not trusted with the cutover decision: inotify drops events when its queue
   * overflows (and the watcher library does not say so), so before the rounds may end a stat
   * re-scan looks for changes it missed. What it finds goes in the next round; the count is in
   * the report. Returns whether it found any.
   */
  private async watcherMissed(): Promise<boolean> {
    const missed = await this.rescan();
    if (missed === 0) return false;
    this.report.watcherMissed = (this.report.watcherMissed ?? 0) + missed;
    this.warn('watcherMissed', { count: missed });
    return true;
  }

  /** The convergence rule on the rounds so far; `requested` when the technician cuts over now. */
  private async decide(requested: boolean): Promise<ConvergenceDecision> {
    const pending = await this.planner.pending();
    const history = this.report.rounds.filter((r) => !r.final);
    let rule = decideConvergence(history, pending, this.options, this.downtimeFloors());
    // Paths the source keeps failing to read would differ after the stop: the cutover waits
    // for them (up to the round limit, after which the verification decides) and says why.
    const stuck = this.planner.failingIn(this.report.rounds.length);
    if (stuck.length > 0 && rule.converged && rule.reason !== 'max-rounds') {
      rule = { ...rule, converged: false, reason: 'continue' };
      const [first] = stuck;
      this.warn('pathsFailing', {
        count: stuck.length,
        path: displayPath(first?.path ?? ''),
        code: first?.code ?? '',
      });
    }
    const decision: ConvergenceDecision =
      requested && !rule.converged ? { ...rule, converged: true, reason: 'requested' } : rule;
    this.report.convergence = decision;
    this.options.emit({ type: 'convergence', decision });
    return decision;
  }

  /**
   * After the stop: a stat walk catches any change whose event has not arrived yet, the last
   * rounds send it, and every file is compared by checksum; what differs is sent whole once
   * more and compared again. Returns the paths that still differ.
   */
  private async lastRoundsAndVerify(step: (step: CutoverStep) => Promise<void>): Promise<string[]> {
    let started = Date.now();
    await this.rescan();
    const parts: DowntimeParts = {
      rescanMs: Date.now() - started,
      roundMs: 0,
      mirrorMs: 0,
      verifyMs: 0,
    };
    await step('final-round');
    started = Date.now();
    let unsent = await this.finalRounds();
    parts.roundMs = Date.now() - started;
    this.phase('verify');
    started = Date.now();
    let mirror = await this.mirror(true);
    parts.mirrorMs = Date.now() - started;
    if (mirror?.removed.length) unsent = await this.finalRounds();
    // The record is read again after the verification: a change that arrived meanwhile (the
    // program was stopped, so something else wrote) is not handed over unnoticed.
    let mismatches = [
      ...unsent,
      ...(await this.verify([])),
      ...shapePaths(mirror),
      ...(await this.settleRecord()),
    ];
    if (mismatches.length > 0) {
      const resent = [...new Set(mismatches)].map(displayPath);
      this.sendWholeAgain(mismatches);
      unsent = await this.finalRounds();
      mirror = await this.mirror(true);
      mismatches = [
        ...unsent,
        ...(await this.verify(resent)),
        ...shapePaths(mirror),
        ...(await this.settleRecord()),
      ];
    }
    const verification = this.report.verification;
    parts.verifyMs = verification?.durationMs ?? 0;
    this.report.cutover.measuredParts = parts;
    if (mirror && verification) {
      verification.extraneousRemoved = mirror.removed.length;
      verification.extraneousLeft = mirror.left.map(displayPath);
      verification.shapeDiffers = mirror.differing.map((d) => ({
        path: displayPath(d.path),
        what: d.what,
      }));
      verification.ok &&= mirror.left.length === 0 && mirror.differing.length === 0;
      await this.state.save();
    }
    return [...mismatches, ...(mirror?.left ?? [])].map(displayPath);
  }

  /**
   * The mirror check against the agent the copy went to: what the source does not have is
   * removed; with `compareShape`, folder modes and owners, symlink targets and hard-link groups
   * are compared. A VM's agent is left alone: its tree is the mirrored copy plus what the VM's
   * own boot and the agent it runs made, which are the VM's.
   */
  private async mirror(compareShape: boolean): Promise<MirrorResult | null> {
    if (this.link.target !== this.options.target) return null;
    const started = Date.now();
    const drivers = this.report.check?.driverFiles;
    const held = new Set<RawPath>([
      ...(this.state.stored.heldByTarget ?? []),
      ...(drivers?.files ?? []).map((file) =>
        joinRaw(fromText(drivers?.targetDir.replace(/^\/+/, '') ?? ''), fromText(file.path)),
      ),
    ]);
    const result = await this.link.withReconnect((client) =>
      checkMirror(client, this.index, this.sources, {
        remove: true,
        compareShape,
        owners: client.agent.canChown,
        held,
      }),
    );
    this.measured.mirrorMs = Date.now() - started;
    if (result.removed.length > 0) this.warn('extraneousRemoved', { count: result.removed.length });
    // A removal changed its folder's times: the folder goes again with the source's.
    for (const parent of new Set(result.removed.map(parentRaw))) {
      const entry = this.index.get(parent);
      if (!entry) continue;
      this.index.set(parent, unsettled(entry));
      this.record.mark(entry.source);
    }
    return result;
  }

  /**
   * The last round after the stop, repeated while anything is left (a failed or moving file).
   * Returns what could not be sent: those paths count as differing in the verification.
   */
  private async finalRounds(): Promise<RawPath[]> {
    for (let attempt = 0; attempt < 3 && (await this.settleRecord()).length > 0; attempt++)
      await this.round(true);
    const left = await this.settleRecord();
    if (left.length > 0) this.warn('pathsLeft', { count: left.length });
    return left;
  }

  /**
   * Clears record entries that late watcher events left for paths the target already matches
   * (sent with the same stat, or gone on both sides); returns the target paths still to send.
   */
  private async settleRecord(): Promise<RawPath[]> {
    const left: RawPath[] = [];
    for (const taken of this.record.take()) {
      const located = this.sources.locate(taken.source);
      const info = await lstat(Buffer.from(taken.source, 'latin1'), { bigint: true }).catch(
        () => null,
      );
      const known = located ? this.index.get(located.target) : undefined;
      const skipped = located && info && this.skipped.get(located.target) === statKey(info);
      const settled =
        !located ||
        Boolean(skipped) ||
        (info === null ? !known : known !== undefined && sameStat(known, info));
      if (settled) this.record.clear(taken);
      else left.push(located.target);
    }
    return left;
  }

  /**
   * One verification pass. A second pass (after sending again what the first found different)
   * adds its time to the first's and names what was sent again, so the report shows the whole
   * cost, not the last, cheaper pass alone.
   */
  private async verify(resent: string[]): Promise<RawPath[]> {
    const started = Date.now();
    const result = await this.link.withReconnect((client) =>
      verifyTarget(client, this.index, this.options.verify, this.options.emit),
    );
    const earlier = resent.length > 0 ? (this.report.verification?.durationMs ?? 0) : 0;
    this.report.verification = {
      mode: this.options.verify,
      files: result.files,
      mismatches: result.mismatches.map(displayPath),
      ok: result.mismatches.length === 0,
      durationMs: earlier + Date.now() - started,
      ...(resent.length > 0 ? { resent } : {}),
    };
    await this.state.save();
    return result.mismatches;
  }
}

/** The paths whose folder mode or owner, symlink target or hard links differ. */
function shapePaths(mirror: MirrorResult | null): RawPath[] {
  return (mirror?.differing ?? []).map((d) => d.path);
}

function freshReport(
  options: MigrationOptions,
  sources: { dir: string; target: string }[],
): MigrationReport {
  return {
    tool: { name: 'P2V Wizard', version: VERSION },
    id: newMigrationId(),
    startedAt: new Date().toISOString(),
    finishedAt: null,
    ok: false,
    error: null,
    source: {
      hostname: hostname(),
      platform: process.platform,
      sources: sources.map((s) => ({ dir: s.dir, target: `/${s.target}` })),
      excludes: options.excludes,
    },
    target: {
      host: options.target.host,
      port: options.target.port,
      fingerprint: options.target.fingerprint,
      hostname: null,
      platform: null,
    },
    copy: null,
    rounds: [],
    convergence: null,
    cutover: { timeline: [], stopCommand: options.stopCommand, downtimeMs: null },
    verification: null,
    warnings: [],
    check: options.check ?? null,
  };
}
