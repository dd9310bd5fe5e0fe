import { say } from '../i18n/say.ts';
import { P2VError } from '../../shared/errors.ts';
import type { ConvergenceDecision, CutoverStep, MigrationPhase } from '../../shared/events.ts';
import type { MessageParams } from '../../shared/i18n/message.ts';
import type { MigrationReport } from '../../shared/report.ts';
import type { AgentCutover } from '../protocol/messages.ts';
import { runShell } from '../shell-command.ts';
import { ADDRESS_NOT_HELD_MARKER } from '../vm/agent-injection.ts';
import type { AgentAddress, AgentClient } from '../source/agent-client.ts';
import type { CutoverJournal } from './cutover-journal.ts';

/** How long a rollback waits for the target to take writes again before it starts the program. */
const REOPEN_WAIT_MS = 5000;

/** What the cutover needs from the migration around it. */
export interface CutoverParts {
  migrationId: string;
  stopCommand: string | null;
  rollbackCommand: string | null;
  /**
   * Run on the source once the target started the program: gives up what the VM now takes
   * over (its service address: `ip addr del 192.0.2.10/24 dev ens192`). Null: nothing.
   */
  releaseCommand?: string | null;
  report: MigrationReport;
  journal: CutoverJournal;
  /** The agent the cutover goes to (the VM's once the rounds went there). */
  target(): AgentAddress;
  /** The open connection, if there is one. */
  client(): AgentClient | null;
  emit: (event: { type: 'cutover'; step: CutoverStep; at: string; detail?: string }) => void;
  phase(phase: MigrationPhase): void;
  warn(key: string, params?: MessageParams): void;
  /** Throws CANCELLED once the technician cancelled. */
  checkCancelled(): void;
  signal?: AbortSignal;
  /**
   * Runs a step over the agent link, reconnecting as the rounds do; `cancellable: false` once
   * the target was asked to start the program, when only its answer can end the cutover.
   */
  withReconnect<T>(step: (client: AgentClient) => Promise<T>, cancellable?: boolean): Promise<T>;
  /** The program is stopped: the last rounds and the verification; returns what differs. */
  lastRoundsAndVerify(step: (step: CutoverStep) => Promise<void>): Promise<string[]>;
  /** Stops the change record before the target takes over. */
  stopWatching(): Promise<void>;
}

/** What a later run does after reading an interrupted cutover. */
export type Recovery =
  /** The program was handed over before this run: nothing is run. */
  | 'handed-over-before'
  /** This run learnt from the target that it took over (or got it to), and finished. */
  | 'handed-over-now'
  /** Nothing is pending (or it was rolled back): the migration goes on with rounds. */
  | 'rounds'
  /** The technician asked to resume: the program is stopped, the cutover goes on from there. */
  | 'cutover';

/**
 * The cutover, step by step, each step in the journal before it begins: stop the program, the
 * last round, verification, the stop request, the handover. Until the target is asked to start
 * the program, anything that goes wrong starts it again on the source (the rollback); once
 * asked, only the target's answer decides, and a lost answer is asked for again, never guessed.
 */
export class JournaledCutover {
  constructor(private readonly parts: CutoverParts) {}

  /** The journal's standing, for a later run to act on before anything else. */
  async recover(resume: boolean): Promise<Recovery> {
    const standing = this.parts.journal.standing();
    switch (standing.kind) {
      case 'none':
        return 'rounds';
      case 'handed-over':
        return 'handed-over-before';
      case 'rolling-back':
        await this.rollback();
        return 'rounds';
      case 'stopped':
        if (!resume) {
          await this.rollback();
          return 'rounds';
        }
        await this.step('resumed', say('timelineDetail.resumedStopped'));
        return 'cutover';
      case 'stop-asked':
      case 'handover-asked':
        return this.recoverAsked(standing.since, resume);
    }
  }

  /**
   * The target was asked to stop, or to start the program, and its answer is not in the
   * journal: the agent knows, so it is asked. Nothing is started here without its answer.
   */
  private async recoverAsked(since: string, resume: boolean): Promise<Recovery> {
    let cutover: AgentCutover | null;
    try {
      cutover = await this.parts.withReconnect(async (client) => client.agent.cutover, false);
    } catch (error) {
      throw this.unreachable(since, error);
    }
    if (cutover && cutover.migration !== this.parts.migrationId)
      throw new P2VError(
        'AGENT_HANDED_OVER',
        `the agent holds migration ${cutover.migration} (${cutover.state}), this is ${this.parts.migrationId}`,
      );
    if (!cutover || cutover.state === 'stopped') {
      // The target never got to start the program: it can go either way.
      await this.reopen();
      if (!resume) {
        await this.rollback();
        return 'rounds';
      }
      await this.step('resumed', say('timelineDetail.resumedNotAsked'));
      return 'cutover';
    }
    await this.step(
      'resumed',
      say('timelineDetail.resumedHandover', {
        state: `@timelineDetail.handoverStates.${cutover.state}`,
        at: cutover.at,
      }),
    );
    await this.handOver();
    this.parts.report.cutover.downtimeMs = Date.now() - this.stoppedAt();
    return 'handed-over-now';
  }

  /**
   * The cutover itself; `decision` null when a resumed cutover goes on from the journal: the
   * stop command runs again only if the journal does not say the program stopped.
   */
  async run(decision: ConvergenceDecision | null): Promise<void> {
    const { parts } = this;
    parts.phase('cutover');
    if (decision)
      await this.step(
        'confirmed',
        say('timelineDetail.predicted', { ms: decision.predictedDowntimeMs }),
      );
    const stopped =
      !decision && parts.journal.lastAttempt().some((entry) => entry.step === 'stopped');
    let handoverAsked = false;
    try {
      if (!stopped) await this.stopProgram();
      const mismatches = await parts.lastRoundsAndVerify((step) => this.step(step));
      if (mismatches.length > 0) {
        await this.step(
          'verify-failed',
          say('timelineDetail.differ', { count: mismatches.length }),
        );
        throw new P2VError('VERIFY_FAILED', mismatches.slice(0, 5).join(', '));
      }
      await this.step('verified');
      // The last moment a cancel can still leave the program with the source.
      parts.checkCancelled();
      await parts.stopWatching();
      parts.phase('handover');
      await this.step('stop-request');
      await parts.withReconnect((client) =>
        client.request({ t: 'stop', migration: parts.migrationId }),
      );
      await this.step('stop-answered');
      parts.checkCancelled();
      handoverAsked = true;
      await this.handOver();
      this.measureProgram();
    } catch (error) {
      // Until the target is asked to start the program, whatever went wrong (a failed stop or
      // verification, a cancel, a connection lost for good) leaves it with the source: started
      // again there, not left down. Once asked, only the target knows whether it started.
      if (!handoverAsked) await this.rollback();
      throw error;
    }
    parts.report.cutover.downtimeMs = Date.now() - this.stoppedAt();
    await this.releaseIfDue();
  }

  /**
   * Runs the release command if the target started the program and the journal has no
   * `released` after it: right after the handover, or in a later run when this one was killed
   * in between (the address would otherwise stay on the source and clash with the VM's).
   * It runs only after the target took over: run before, it could cut the link the handover
   * goes over. A failure is said with what to do, and does not undo the handover.
   */
  async releaseIfDue(): Promise<boolean> {
    const { releaseCommand, journal } = this.parts;
    if (!releaseCommand) return false;
    const attempt = journal.lastAttempt();
    const started = attempt.findIndex((e) => e.step === 'started');
    if (started < 0 || attempt.slice(started).some((e) => e.step === 'released')) return false;
    // The program runs on the target by now: nothing here may fail the migration.
    try {
      await this.step('release', releaseCommand);
      const { exitCode, output } = await runShell(releaseCommand, process.cwd());
      await this.step('released', say('timelineDetail.exit', { code: exitCode ?? -1 }));
      if (exitCode !== 0)
        this.parts.warn('releaseFailed', {
          command: releaseCommand,
          exitCode: exitCode ?? -1,
          output: output.trim().slice(-300),
        });
    } catch (error) {
      this.parts.warn('releaseFailed', {
        command: releaseCommand,
        exitCode: -1,
        output: (error as Error).message,
      });
    }
    return true;
  }

  private async stopProgram(): Promise<void> {
    const { stopCommand, signal } = this.parts;
    if (stopCommand) {
      await this.step('stop-command', stopCommand);
      const { exitCode, output } = await runShell(stopCommand, process.cwd(), signal);
      this.parts.checkCancelled();
      if (exitCode !== 0)
        throw new P2VError('NOT_STOPPED', `exit ${exitCode}: ${output.trim().slice(0, 500)}`);
    }
    await this.step('stopped');
  }

  /**
   * Asks the target to start the program and waits for its answer, asking again after a lost
   * connection: the agent runs its command once and answers every ask with the same result.
   */
  private async handOver(): Promise<void> {
    const { parts } = this;
    await this.step('handover');
    let started;
    try {
      started = await parts.withReconnect(
        (client) => client.request<'started'>({ t: 'handover', migration: parts.migrationId }),
        false,
      );
    } catch (error) {
      if (error instanceof P2VError && error.code === 'HANDOVER_UNKNOWN') throw error;
      parts.warn('handoverAnswerLost');
      const { host, port } = parts.target();
      throw new P2VError(
        'HANDOVER_UNKNOWN',
        `${host}:${port}: ${(error as Error).message}; run the same command again once the agent answers`,
      );
    }
    if (started.exitCode !== null && started.exitCode !== 0) {
      await this.step(
        'handover-failed',
        say('timelineDetail.handoverExit', { code: started.exitCode }),
      );
      await this.rollback();
      throw new P2VError(
        'HANDOVER_FAILED',
        `exit ${started.exitCode}: ${started.output.trim().slice(0, 500)}`,
      );
    }
    await this.step('started', started.output.trim().slice(0, 500) || undefined);
    // A VM whose card did not get the source's address runs the program where nobody reaches it.
    const notHeld = started.output.split('\n').find((l) => l.startsWith(ADDRESS_NOT_HELD_MARKER));
    if (notHeld) parts.warn('addressNotHeld', { line: notHeld.trim() });
  }

  /**
   * Starts the program on the source again. A target that was asked to stop is told first to
   * take writes again, so the journal and the agent agree that it will not start the program.
   * A rollback command that fails leaves the journal rolling back: the next run tries again.
   */
  async rollback(): Promise<void> {
    const { rollbackCommand } = this.parts;
    if (this.parts.journal.lastAttempt().some((e) => e.step === 'stop-request'))
      await this.reopen();
    if (!rollbackCommand) {
      this.parts.warn('noRollbackCommand');
      await this.step('rolled-back', say('timelineDetail.noRollback'));
      return;
    }
    await this.step('rollback', rollbackCommand);
    const { exitCode, output } = await runShell(rollbackCommand, process.cwd());
    if (exitCode !== 0) {
      this.parts.warn('rollbackFailed', {
        exitCode: String(exitCode),
        output: output.trim().slice(0, 500),
      });
      return;
    }
    await this.step('rolled-back');
  }

  /**
   * Best effort, on the connection there is: a target that cannot be told now is told by the
   * next run's first connection (it finds the agent stopped by this migration, not asked).
   */
  private async reopen(): Promise<void> {
    const client = this.parts.client();
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.request({ t: 'reopen', migration: this.parts.migrationId }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer')), REOPEN_WAIT_MS);
        }),
      ]);
    } catch {
      // Left to the next run, as above.
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Writes a step to the journal, on disk before the step begins; then the timeline and the
   * event. `detail` is a command or its output as it was, or a sentence from the catalog.
   */
  private async step(step: CutoverStep, detail?: string | ReturnType<typeof say>): Promise<void> {
    const entry =
      typeof detail === 'object'
        ? await this.parts.journal.write(step, detail.text, detail.message)
        : await this.parts.journal.write(step, detail);
    this.parts.report.cutover.timeline = this.parts.journal.lastAttempt();
    this.parts.emit({ type: 'cutover', ...entry });
  }

  /** When the program was stopped on the source in this cutover (downtime starts there). */
  /** How long the stop and handover commands took, from the journal's steps. */
  private measureProgram(): void {
    const timeline = this.parts.journal.lastAttempt();
    const at = (step: CutoverStep): number | null => {
      const entry = timeline.find((e) => e.step === step);
      return entry ? Date.parse(entry.at) : null;
    };
    const commandAt = at('stop-command');
    const stoppedAt = at('stopped');
    const handoverAt = at('handover');
    this.parts.report.cutover.programMs = {
      stopMs: commandAt !== null && stoppedAt !== null ? stoppedAt - commandAt : 0,
      startMs: handoverAt !== null ? Date.now() - handoverAt : 0,
    };
  }

  private stoppedAt(): number {
    const stop = this.parts.journal
      .lastAttempt()
      .find((e) => e.step === 'stop-command' || e.step === 'stopped');
    return stop ? Date.parse(stop.at) : Date.now();
  }

  /** What to check when the target cannot say how the cutover it was asked for ended. */
  private unreachable(since: string, error: unknown): P2VError {
    const { host, port, fingerprint } = this.parts.target();
    const rollback = this.parts.rollbackCommand;
    return new P2VError(
      'HANDOVER_UNKNOWN',
      [
        `the agent at ${host}:${port} (certificate ${fingerprint}) was asked to stop at ${since} and cannot be reached now (${(error as Error).message})`,
        `on the target, check that the P2V agent runs and what handover.json in its --state folder says, and whether the program runs there`,
        `then run this command again: it asks the agent and finishes the handover or rolls back`,
        `if the target is lost for good and the program does not run there, start it here yourself${rollback ? ` (${rollback})` : ''}`,
      ].join('; '),
    );
  }
}
