import type { ConvergenceDecision, DowntimeParts, RoundSummary } from '../../shared/events.ts';

/** When to stop iterating rounds and cut over. */
export interface ConvergencePolicy {
  /** A round that sent at most this many dirty bytes means the next one can be the last. */
  thresholdBytes: number;
  /** Cut over once the last round is predicted to take at most this long. */
  downtimeTargetMs: number;
  maxRounds: number;
  /** Rounds always run before cutting over, unless nothing is left to send. */
  minRounds: number;
}

/** What is waiting in the record for the next round. */
export interface PendingWork {
  files: number;
  /** Bytes the next round must read and compare (the sizes of the dirty files). */
  bytes: number;
}

/** Rounds whose cost per byte the prediction weighs: recent enough to reflect the link now. */
const RATE_ROUNDS = 3;

/**
 * Predicts the final round's duration: the cost per byte read and compared, applied to what is
 * pending now (QEMU's pre-copy uses dirty pages over bandwidth the same way), plus a share of the
 * last round's cost per file. The cost per byte is the lowest of the last few rounds': a round of
 * a few bytes costs its fixed latency, and divided by 98 B that would predict seconds for the
 * next few kilobytes.
 */
export function predictRoundMs(rounds: RoundSummary[], pending: PendingWork): number {
  const last = rounds.at(-1);
  if (pending.files === 0) return 0;
  if (!last || last.durationMs <= 0) return Number.POSITIVE_INFINITY;
  const perFileMs = last.dirtyFiles > 0 ? last.durationMs / last.dirtyFiles : last.durationMs;
  const perByteMs = Math.min(
    ...rounds
      .slice(-RATE_ROUNDS)
      .filter((r) => r.scannedBytes > 0 && r.durationMs > 0)
      .map((r) => r.durationMs / r.scannedBytes),
  );
  if (!Number.isFinite(perByteMs)) return perFileMs * pending.files;
  return perByteMs * pending.bytes + perFileMs * 0.1 * pending.files;
}

/** What the pause costs whatever the last round sends, measured in the rounds. */
export type DowntimeFloors = Omit<DowntimeParts, 'roundMs'>;

export const NO_FLOORS: DowntimeFloors = { rescanMs: 0, mirrorMs: 0, verifyMs: 0 };

/**
 * Decides after each round whether to run another or cut over, and says why. The predicted
 * downtime is the last round plus the floors every cutover pays (rescan, mirror check,
 * verification), so the downtime target is held against the whole pause.
 */
export function decideConvergence(
  rounds: RoundSummary[],
  pending: PendingWork,
  policy: ConvergencePolicy,
  floors: DowntimeFloors = NO_FLOORS,
): ConvergenceDecision {
  const last = rounds.at(-1);
  const previous = rounds.at(-2);
  const roundMs = predictRoundMs(rounds, pending);
  const predictedDowntimeMs = roundMs + floors.rescanMs + floors.mirrorMs + floors.verifyMs;
  const result = (
    converged: boolean,
    reason: ConvergenceDecision['reason'],
  ): ConvergenceDecision => ({
    converged,
    reason,
    predictedDowntimeMs: Number.isFinite(predictedDowntimeMs)
      ? Math.round(predictedDowntimeMs)
      : -1,
    pendingFiles: pending.files,
    ...(Number.isFinite(roundMs)
      ? {
          predictedParts: {
            roundMs: Math.round(roundMs),
            rescanMs: Math.round(floors.rescanMs),
            mirrorMs: Math.round(floors.mirrorMs),
            verifyMs: Math.round(floors.verifyMs),
          },
        }
      : {}),
  });
  if (pending.files === 0) return result(true, 'threshold');
  // A rule not met for a floor no round can shrink falls to 'not-shrinking' or 'max-rounds'.
  if (rounds.length >= policy.maxRounds) return result(true, 'max-rounds');
  if (rounds.length < policy.minRounds || !last) return result(false, 'continue');
  if (last.dirtyBytes <= policy.thresholdBytes) return result(true, 'threshold');
  if (predictedDowntimeMs <= policy.downtimeTargetMs) return result(true, 'downtime-target');
  if (previous && last.dirtyBytes >= previous.dirtyBytes) return result(true, 'not-shrinking');
  return result(false, 'continue');
}
