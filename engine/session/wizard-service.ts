import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type {
  CheckRequest,
  CheckSummary,
  FolderRequest,
  FolderSizes,
  MigrationRequest,
  ProfileSummary,
  ReportRequest,
  Selection,
  SelectionMeasure,
  SessionEvent,
  SessionSnapshot,
  SessionStage,
  TargetAddress,
  TargetInfo,
  WizardApi,
} from '../../shared/api.ts';
import { P2VError, type ErrorInfo } from '../../shared/errors.ts';
import type { ConvergenceDecision } from '../../shared/events.ts';
import type { MachineInspection } from '../../shared/inspection.ts';
import type { MigrationCheck, MigrationReport } from '../../shared/report.ts';
import { inspectMachine } from '../inspection/inspect-machine.ts';
import { loadStoredReport } from '../migration/migration-state.ts';
import { runMigration } from '../migration/migrate.ts';
import { stateFolderFor } from '../migration/state-key.ts';
import { checkMigration, toMigrationCheck } from '../preflight/check-migration.ts';
import { measureFolders } from '../preflight/measure-folders.ts';
import { measureSources, type SourceMeasure } from '../preflight/measure-sources.ts';
import { builtInProfiles, driversOfInterest } from '../profiles/load-profile.ts';
import { printPdf } from '../report/print-pdf.ts';
import { writeReport } from '../report/write-report.ts';
import { AgentClient } from '../source/agent-client.ts';
import { parseSourceArgument } from '../source/source-map.ts';
import { SessionLog } from './session-log.ts';
import { planDisk } from '../vm/disk-plan.ts';
import type { VmRequest } from '../../shared/vm-image.ts';
import { mbitToBytes, RateLimit } from '../protocol/rate-limit.ts';
import { throttleMethodHere } from '../converge/program-throttle.ts';

/** How long a converged migration waits for the technician before syncing another round. */
const CONFIRM_WAIT_MS = 5000;

export interface WizardServiceOptions {
  /** Where migration state and reports live (one folder per migration). */
  dataDir: string;
  /** Opens a folder for the technician (the shell's or the desktop's file manager). */
  openFolder?: (path: string) => Promise<void>;
  /** Turns an HTML report into a PDF; Electron's printToPDF in the app, Chromium elsewhere. */
  printPdf?: (htmlFile: string, pdfFile: string) => Promise<void>;
}

/**
 * The engine behind the wizard: one migration session at a time, the API's every call, and the
 * events the window shows. It adds no migration logic: it drives the same engine as the CLI.
 */
export class WizardService implements WizardApi {
  private readonly emitter = new EventEmitter();
  private readonly log = new SessionLog((event) => this.emitter.emit('event', event));
  private stage: SessionStage = 'idle';
  private request: MigrationRequest | null = null;
  private lastCheck: MigrationCheck | null = null;
  private report: MigrationReport | null = null;
  private error: ErrorInfo | null = null;
  private controller: AbortController | null = null;
  private running: Promise<void> | null = null;
  private cutoverAsked = false;
  private answerCutover: ((answer: boolean | 'another-round') => void) | null = null;
  private machine: Promise<MachineInspection> | null = null;
  /** The VM the target builds after the copy, planned from this machine's disks. */
  private vm: VmRequest | null = null;
  /** The running migration's bandwidth limit, shared with its connections. */
  private rateLimit = new RateLimit();
  /** The last selection measured, and what the walk found. */
  private measured: { key: string; measure: SourceMeasure } | null = null;

  constructor(private readonly options: WizardServiceOptions) {
    this.emitter.setMaxListeners(50);
  }

  async inspect(): Promise<MachineInspection> {
    this.machine ??= driversOfInterest().then((names) => inspectMachine(names));
    return this.machine.catch((error: unknown) => {
      this.machine = null;
      throw error;
    });
  }

  async listProfiles(): Promise<ProfileSummary[]> {
    return (await builtInProfiles()).map((p) => ({
      id: p.id,
      name: p.name,
      hypervisor: p.hypervisor,
      diskFormat: p.diskFormat,
      firmware: p.firmware,
    }));
  }

  async connectTarget(target: TargetAddress): Promise<TargetInfo> {
    const client = await AgentClient.connect(target);
    try {
      const { machine, root } = await client.request<'described'>({ t: 'describe' });
      return {
        hostname: machine.hostname,
        os: machine.os,
        bootMode: machine.bootMode,
        rootPath: root.path,
        freeBytes: root.freeBytes,
        totalBytes: root.totalBytes,
        handoverCommand: client.agent.handoverCommand ?? null,
      };
    } finally {
      await client.close();
    }
  }

  async check(request: CheckRequest): Promise<CheckSummary> {
    const machine = await this.inspect();
    const measured =
      request.sources.length > 0
        ? (await this.measureSelection({ ...request, sources: request.sources })).bytes
        : null;
    const result = await checkMigration({
      profile: request.profile,
      condition: request.condition,
      target: request.target,
      agentInVm: request.agentInVm,
      sharedNetwork: request.sharedNetwork,
      ...(measured !== null ? { selectedBytes: measured } : {}),
      machine,
      // A target that is a conversion host may build the VM (What to move asks): say now what
      // its disk would hold.
      ...(request.agentInVm ? {} : { vmPlan: planDisk(machine), vmOptional: true }),
    });
    this.lastCheck = toMigrationCheck(result);
    return {
      check: this.lastCheck,
      plan: result.plan,
      preflight: result.preflight,
      driverFiles: result.driverFiles,
      selectedBytes: measured ?? machine.volumes.reduce((sum, v) => sum + v.usedBytes, 0),
      blocked: result.blocked,
    };
  }

  async measureSelection(selection: Selection): Promise<SelectionMeasure> {
    const sources = selection.sources.map((s) => parseSourceArgument(s));
    const measure = await measureSources(sources, selection.excludes, selection.useDefaultExcludes);
    // The copy that starts from this selection takes its totals from here, not from a new walk.
    this.measured = { key: selectionKey(selection), measure };
    return {
      bytes: measure.allocatedBytes,
      unreadable: measure.unreadable,
      unreadableCount: measure.unreadableCount,
    };
  }

  measureFolders(request: FolderRequest): Promise<FolderSizes> {
    return measureFolders(request);
  }

  async startMigration(request: MigrationRequest): Promise<void> {
    if (this.running) throw new P2VError('BAD_ARGUMENT', 'a migration is already running');
    if (this.lastCheck?.plan.blockers.length)
      throw new P2VError('BLOCKED', this.lastCheck.plan.blockers[0]?.message);
    const vmDisk = this.lastCheck?.preflight.find((c) => c.id === 'vm-disk');
    if (request.vm && vmDisk && vmDisk.level !== 'ok') throw new P2VError('BLOCKED', vmDisk.detail);
    this.vm = request.vm
      ? {
          plan: planDisk(await this.inspect()),
          format: 'qcow2',
          boot: request.vm.boot,
          memoryMiB: request.vm.memoryMiB,
          cpus: request.vm.cpus,
          handoverCommand: null,
          ...(request.vm.keepSourceMac ? { nicMac: 'source' } : {}),
          ...(request.vm.bridge ? { bridge: request.vm.bridge } : {}),
        }
      : null;
    this.rateLimit = new RateLimit(mbitToBytes(request.bandwidthLimitMbit ?? null));
    this.log.clear();
    this.request = request;
    this.report = null;
    this.error = null;
    this.launch();
  }

  async setBandwidthLimit(mbit: number | null): Promise<void> {
    this.rateLimit.set(mbitToBytes(mbit));
    // A resume after a pause starts with the limit as it was left.
    if (this.request) this.request = { ...this.request, bandwidthLimitMbit: mbit };
  }

  async pauseMigration(): Promise<void> {
    if (!this.running) throw new P2VError('BAD_ARGUMENT', 'no migration is running');
    await this.stop('paused');
  }

  async resumeMigration(): Promise<void> {
    if (this.running) return;
    // A cancelled migration kept its state too: resuming it picks up where it stopped.
    if (!this.request || !['paused', 'failed', 'cancelled'].includes(this.stage))
      throw new P2VError('BAD_ARGUMENT', 'nothing to resume');
    this.error = null;
    this.launch();
  }

  async cancelMigration(): Promise<void> {
    if (this.running) await this.stop('cancelled');
    else if (this.stage === 'paused' || this.stage === 'failed') this.setStage('cancelled');
  }

  async cutOver(): Promise<void> {
    if (this.answerCutover) {
      const answer = this.answerCutover;
      this.answerCutover = null;
      this.setStage('cutting-over');
      answer(true);
    } else if (this.stage === 'running' || (this.stage === 'awaiting-cutover' && this.running))
      // Before convergence, or during an extra round (a click that raced its start): the engine
      // cuts over as soon as it asks.
      this.cutoverAsked = true;
    else throw new P2VError('BAD_ARGUMENT', 'no migration is waiting for a cutover');
  }

  async getSession(): Promise<SessionSnapshot> {
    return {
      stage: this.stage,
      request: this.request,
      events: this.log.snapshot(),
      report: this.report,
      error: this.error,
    };
  }

  /** An exported report's file by its name (browser mode downloads it), or null. */
  reportFile(name: string): string | null {
    if (!this.request || !['report.html', 'report.json', 'report.pdf'].includes(name)) return null;
    return join(this.reportDir(), name);
  }

  async exportReport(request: ReportRequest): Promise<{ path: string }> {
    const report = this.report ?? (this.request ? await loadStoredReport(this.stateDir()) : null);
    if (!report) throw new P2VError('BAD_ARGUMENT', 'no migration to report on yet');
    const files = await writeReport(report, this.reportDir(), request.language);
    if (request.format === 'json') return { path: files.json };
    if (request.format === 'html') return { path: files.html };
    const pdf = join(files.dir, 'report.pdf');
    await (this.options.printPdf ?? printPdf)(files.html, pdf);
    return { path: pdf };
  }

  async openReportFolder(): Promise<void> {
    if (!this.options.openFolder) throw new P2VError('BAD_ARGUMENT', 'no file manager here');
    await this.options.openFolder(this.reportDir());
  }

  onEvent(listener: (event: SessionEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Ends a session for good: stops a running migration (it can be resumed from its state). */
  async close(): Promise<void> {
    if (this.running) await this.stop('paused');
  }

  private launch(): void {
    const request = this.request as MigrationRequest;
    const controller = new AbortController();
    this.controller = controller;
    this.cutoverAsked = false;
    this.setStage('running');
    this.running = runMigration({
      sources: request.sources.map((s) => parseSourceArgument(s)),
      excludes: request.excludes,
      useDefaultExcludes: request.useDefaultExcludes,
      target: request.target,
      stateDir: this.stateDir(),
      stopCommand: request.stopCommand,
      rollbackCommand: request.rollbackCommand,
      flushCommand: request.flushCommand ?? null,
      releaseCommand: request.releaseCommand ?? null,
      verify: 'cached',
      thresholdBytes: request.thresholdBytes,
      downtimeTargetMs: request.downtimeTargetSeconds * 1000,
      maxRounds: request.maxRounds,
      minRounds: 1,
      ...(this.lastCheck ? { check: this.lastCheck } : {}),
      ...(this.vm ? { vm: this.vm } : {}),
      ...(this.measured?.key === selectionKey(request)
        ? { sourceTotals: this.measured.measure }
        : {}),
      rateLimit: this.rateLimit,
      ...(request.autoConvergePid
        ? { autoConverge: { pid: request.autoConvergePid, method: throttleMethodHere() } }
        : {}),
      confirmCutover: (decision) => this.awaitCutover(decision, controller.signal),
      cutoverRequested: () => this.cutoverAsked,
      emit: (event) => this.log.add(event),
      signal: controller.signal,
    })
      .then(
        async (report) => {
          this.report = report;
          await writeReport(report, this.reportDir());
          this.log.add({
            type: 'done',
            ok: report.ok,
            downtimeMs: report.cutover.downtimeMs,
            reportDir: this.reportDir(),
          });
          this.setStage('done');
        },
        async (error: unknown) => {
          const failure =
            error instanceof P2VError ? error : new P2VError('IO_ERROR', String(error));
          this.report = await loadStoredReport(this.stateDir()).catch(() => null);
          if (controller.signal.aborted) this.setStage(controller.signal.reason as SessionStage);
          else {
            this.error = failure.toJSON();
            this.setStage('failed', this.error);
          }
        },
      )
      .finally(() => {
        this.running = null;
        this.controller = null;
        this.answerCutover = null;
      });
  }

  /** Waits for the technician; meanwhile another round keeps the target close behind. */
  private awaitCutover(
    decision: ConvergenceDecision,
    signal: AbortSignal,
  ): Promise<boolean | 'another-round'> {
    if (this.cutoverAsked) {
      this.setStage('cutting-over');
      return Promise.resolve(true);
    }
    if (this.stage !== 'awaiting-cutover') this.setStage('awaiting-cutover');
    this.log.add({ type: 'awaiting-cutover', decision });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.answerCutover = null;
        this.log.add({ type: 'extra-round' });
        resolve('another-round');
      }, CONFIRM_WAIT_MS);
      const abort = (): void => {
        clearTimeout(timer);
        this.answerCutover = null;
        resolve(false);
      };
      signal.addEventListener('abort', abort, { once: true });
      this.answerCutover = (answer) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', abort);
        resolve(answer);
      };
    });
  }

  private async stop(stage: 'paused' | 'cancelled'): Promise<void> {
    this.controller?.abort(stage);
    await this.running;
  }

  private setStage(stage: SessionStage, error?: ErrorInfo): void {
    this.stage = stage;
    this.log.add(error ? { type: 'stage', stage, error } : { type: 'stage', stage });
  }

  /** One state folder per migration, keyed as the CLI keys it: either resumes the other's. */
  private stateDir(): string {
    const request = this.request as MigrationRequest;
    return stateFolderFor(
      this.options.dataDir,
      request.sources.map((s) => parseSourceArgument(s)),
      request.target,
    );
  }

  private reportDir(): string {
    return join(this.stateDir(), 'report');
  }
}

/** What identifies a selection: the same folders and exclusions measure the same. */
function selectionKey(selection: Selection): string {
  return JSON.stringify([selection.sources, selection.excludes, selection.useDefaultExcludes]);
}
