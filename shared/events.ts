import type { ErrorInfo } from './errors.ts';
import type { Message } from './i18n/message.ts';
import type { VmProgress } from './vm-image.ts';

/**
 * Events the engine emits while it migrates: one discriminated union for the CLI, the wizard and
 * the report. Progress values are 0..1.
 */
export type MigrationPhase =
  'connect' | 'copy' | 'vm' | 'rounds' | 'cutover' | 'verify' | 'handover' | 'done';

/** What a progress event counts: `vm-check` reads the VM's files against what was sent. */
export type ProgressPhase = 'copy' | 'rounds' | 'verify' | 'vm-check';

/** One delta round's facts, as measured. */
export interface RoundSummary {
  round: number;
  startedAt: string;
  durationMs: number;
  dirtyFiles: number;
  scannedBytes: number;
  dirtyBytes: number;
  wireBytes: number;
  deleted: number;
  final: boolean;
  /** The round right after the flush command: what the program wrote from memory. */
  afterFlush?: boolean;
  /** Auto-converge's level during the round: the program was slowed by this many percent. */
  throttle?: number;
}

/** What the convergence rule decided after a round, and why. */
export interface ConvergenceDecision {
  converged: boolean;
  /** `requested`: the technician cut over before the rule converged. */
  reason:
    'threshold' | 'downtime-target' | 'not-shrinking' | 'max-rounds' | 'requested' | 'continue';
  /** The whole pause after the stop: the last round plus the floors below; -1 when unknown. */
  predictedDowntimeMs: number;
  pendingFiles: number;
  /** What the prediction is made of, each measured in the rounds (see downtimeFloors). */
  predictedParts?: DowntimeParts;
}

/** The pause after the stop, part by part, in milliseconds. */
export interface DowntimeParts {
  /** The last round: what is pending, at the last round's cost per byte and file. */
  roundMs: number;
  /** The stat walk over every source file that catches changes the watcher has not told yet. */
  rescanMs: number;
  /** The target's tree listed and compared with the source's (the exact mirror). */
  mirrorMs: number;
  /** Every file's checksum compared on both sides. */
  verifyMs: number;
}

export type MigrationEvent =
  | { type: 'phase'; phase: MigrationPhase; at: string }
  | {
      type: 'progress';
      phase: ProgressPhase;
      value: number;
      bytesDone: number;
      bytesTotal: number;
      filesDone: number;
      filesTotal: number;
      bytesPerSecond: number;
      etaSeconds: number | null;
      currentFile: string;
    }
  /** The VM step: building the image, the VM's console as it boots, its agent answering. */
  | { type: 'vm'; progress: VmProgress }
  | { type: 'round'; summary: RoundSummary }
  | { type: 'convergence'; decision: ConvergenceDecision }
  | { type: 'cutover'; step: CutoverStep; at: string; detail?: string; said?: Message }
  | { type: 'warning'; message: string; path?: string; said?: Message }
  /** `error`, where known, is the reason by code, for a front end to say in its language. */
  | { type: 'reconnect'; attempt: number; reason: string; error?: ErrorInfo }
  | { type: 'done'; ok: boolean; downtimeMs: number | null; reportDir: string | null }
  /** This migration's program was handed over to the target by an earlier run: nothing ran now. */
  | {
      type: 'handed-over-before';
      at: string;
      target: { host: string; port: number; fingerprint: string };
    }
  /** A restart moved an earlier migration's state into this folder before starting anew. */
  | { type: 'restarted'; archivedTo: string };

/** The named moments of a cutover, in order. */
export const CUTOVER_STEPS = [
  'confirmed',
  'stop-command',
  'stopped',
  'final-round',
  'verified',
  'verify-failed',
  'stop-request',
  'stop-answered',
  'handover',
  'handover-failed',
  'started',
  'release',
  'released',
  'rollback',
  'rolled-back',
  'resumed',
] as const;
export type CutoverStep = (typeof CUTOVER_STEPS)[number];
