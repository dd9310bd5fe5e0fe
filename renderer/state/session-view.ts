import type { SessionEvent, SessionStage } from '../../shared/api.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import type {
  ConvergenceDecision,
  CutoverStep,
  MigrationEvent,
  MigrationPhase,
  RoundSummary,
} from '../../shared/events.ts';
import type { Message } from '../../shared/i18n/message.ts';
import type { VmProgress } from '../../shared/vm-image.ts';

/** How many of the VM step's lines the window keeps. */
export const VM_LOG_LINES = 200;

export type ProgressEvent = Extract<MigrationEvent, { type: 'progress' }>;

/** What the window shows of a migration, built only from engine events. */
export interface SessionView {
  stage: SessionStage;
  phase: MigrationPhase | null;
  progress: ProgressEvent | null;
  rounds: RoundSummary[];
  convergence: ConvergenceDecision | null;
  /** Set while the engine waits for the technician's confirmation. */
  awaiting: ConvergenceDecision | null;
  timeline: { step: CutoverStep; at: string; detail?: string; said?: Message }[];
  warnings: number;
  /** Paths the engine said it does not copy (unreadable on the source, sockets…), first ones. */
  notCopied: string[];
  /** Set while the engine reconnects to the agent; cleared once it hears from it again. */
  reconnecting: { attempt: number; reason: string; error: ErrorInfo | null } | null;
  /** The VM step's latest lines: the build, the VM's console, its agent answering. */
  vmLog: VmProgress[];
  result: { ok: boolean; downtimeMs: number | null } | null;
  error: ErrorInfo | null;
  /** Set while one more round runs because nobody confirmed in time: Cutover waits for it. */
  extraRound: boolean;
  /** Set when an earlier run handed this migration over: nothing ran now. */
  handedOverBefore: {
    at: string;
    target: { host: string; port: number; fingerprint: string };
  } | null;
}

/** How many not-copied paths the window keeps (the report has the count and the first 100). */
const NOT_COPIED_KEPT = 100;

export const EMPTY_SESSION: SessionView = {
  stage: 'idle',
  phase: null,
  progress: null,
  rounds: [],
  convergence: null,
  awaiting: null,
  timeline: [],
  warnings: 0,
  notCopied: [],
  reconnecting: null,
  vmLog: [],
  result: null,
  error: null,
  extraRound: false,
  handedOverBefore: null,
};

/** Applies one event: a pure function, so a reload replays the snapshot to the same view. */
export function reduceSession(previous: SessionView, event: SessionEvent): SessionView {
  // Anything but another attempt or a warning means the engine is at work again.
  const view =
    previous.reconnecting && event.type !== 'reconnect' && event.type !== 'warning'
      ? { ...previous, reconnecting: null }
      : previous;
  switch (event.type) {
    case 'stage': {
      const next: SessionView = { ...view, stage: event.stage, error: event.error ?? null };
      if (event.stage === 'running' && view.stage !== 'awaiting-cutover') next.awaiting = null;
      if (event.stage === 'cutting-over' || event.stage === 'cancelled') next.awaiting = null;
      if (event.stage !== 'awaiting-cutover') next.extraRound = false;
      return next;
    }
    case 'phase':
      return { ...view, phase: event.phase };
    case 'progress':
      return { ...view, progress: event };
    case 'round':
      return { ...view, rounds: [...view.rounds, event.summary] };
    case 'convergence':
      return { ...view, convergence: event.decision };
    case 'awaiting-cutover':
      return { ...view, awaiting: event.decision, convergence: event.decision, extraRound: false };
    case 'extra-round':
      return { ...view, awaiting: null, extraRound: true };
    case 'handed-over-before':
      return { ...view, handedOverBefore: { at: event.at, target: event.target } };
    case 'restarted':
      return view;
    case 'cutover':
      return {
        ...view,
        timeline: [
          ...view.timeline,
          {
            step: event.step,
            at: event.at,
            ...(event.detail ? { detail: event.detail } : {}),
            ...(event.said ? { said: event.said } : {}),
          },
        ],
      };
    case 'warning': {
      const key = event.said?.key;
      const left =
        (key === 'warnings.notCopied' || key === 'warnings.skipped') &&
        event.path !== undefined &&
        !view.notCopied.includes(event.path) &&
        view.notCopied.length < NOT_COPIED_KEPT;
      return {
        ...view,
        warnings: view.warnings + 1,
        ...(left ? { notCopied: [...view.notCopied, event.path as string] } : {}),
      };
    }
    case 'vm':
      return { ...view, vmLog: [...view.vmLog.slice(-(VM_LOG_LINES - 1)), event.progress] };
    case 'reconnect':
      return {
        ...view,
        reconnecting: { attempt: event.attempt, reason: event.reason, error: event.error ?? null },
      };
    case 'done':
      return { ...view, result: { ok: event.ok, downtimeMs: event.downtimeMs } };
  }
}

/** Replays a snapshot's events from an empty view. */
export function replay(events: SessionEvent[]): SessionView {
  return events.reduce(reduceSession, EMPTY_SESSION);
}
