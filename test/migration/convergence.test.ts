import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoundSummary } from '../../shared/events.ts';
import {
  decideConvergence,
  predictRoundMs,
  type ConvergencePolicy,
} from '../../engine/migration/convergence.ts';

const policy: ConvergencePolicy = {
  thresholdBytes: 1000,
  downtimeTargetMs: 100,
  maxRounds: 5,
  minRounds: 1,
};

function round(
  n: number,
  dirtyBytes: number,
  durationMs: number,
  scannedBytes = 1_000_000,
): RoundSummary {
  return {
    round: n,
    startedAt: '',
    durationMs,
    dirtyFiles: 4,
    scannedBytes,
    dirtyBytes,
    wireBytes: dirtyBytes,
    deleted: 0,
    final: false,
  };
}

describe('convergence', () => {
  it('runs a first round after the copy', () => {
    assert.equal(decideConvergence([], { files: 3, bytes: 1_000_000 }, policy).reason, 'continue');
  });

  it('cuts over at once when nothing is pending', () => {
    assert.deepEqual(decideConvergence([], { files: 0, bytes: 0 }, policy), {
      converged: true,
      reason: 'threshold',
      predictedDowntimeMs: 0,
      pendingFiles: 0,
      predictedParts: { roundMs: 0, rescanMs: 0, mirrorMs: 0, verifyMs: 0 },
    });
  });

  it('predicts the whole pause: the last round plus the rescan, mirror and verification floors', () => {
    const floors = { rescanMs: 40, mirrorMs: 25, verifyMs: 30 };
    const d = decideConvergence(
      [round(1, 50_000, 80)],
      { files: 4, bytes: 1_000_000 },
      policy,
      floors,
    );
    const parts = d.predictedParts;
    assert.ok(parts);
    assert.equal(d.predictedDowntimeMs, parts.roundMs + 40 + 25 + 30);
    // The last round alone would fit the 100 ms target; with the floors it does not.
    assert.ok(parts.roundMs <= 100);
    assert.equal(d.reason, 'continue');
  });

  it('stops when a round sent less than the threshold', () => {
    const d = decideConvergence(
      [round(1, 50_000, 900), round(2, 800, 700)],
      { files: 4, bytes: 1_000_000 },
      policy,
    );
    assert.equal(d.reason, 'threshold');
  });

  it('stops when the predicted last round fits the downtime target', () => {
    const d = decideConvergence([round(1, 50_000, 80)], { files: 4, bytes: 1_000_000 }, policy);
    assert.equal(d.reason, 'downtime-target');
    assert.ok(d.predictedDowntimeMs <= 100);
  });

  it('stops when rounds stop shrinking', () => {
    const d = decideConvergence(
      [round(1, 50_000, 900), round(2, 60_000, 900)],
      { files: 4, bytes: 1_000_000 },
      policy,
    );
    assert.equal(d.reason, 'not-shrinking');
  });

  it('stops at the round limit', () => {
    const rounds = [1, 2, 3, 4, 5].map((n) => round(n, 100_000 - n * 1000, 900));
    assert.equal(
      decideConvergence(rounds, { files: 4, bytes: 1_000_000 }, policy).reason,
      'max-rounds',
    );
  });

  it('keeps going while shrinking and above every bound', () => {
    const d = decideConvergence(
      [round(1, 90_000, 900), round(2, 40_000, 800)],
      { files: 4, bytes: 1_000_000 },
      policy,
    );
    assert.equal(d.converged, false);
  });

  it('honours a minimum number of rounds', () => {
    const d = decideConvergence(
      [round(1, 10, 10)],
      { files: 4, bytes: 1_000_000 },
      { ...policy, minRounds: 3 },
    );
    assert.equal(d.reason, 'continue');
  });

  it('predicts from the cost per byte of the last round', () => {
    const predicted = predictRoundMs([round(1, 0, 1000, 1_000_000)], { files: 1, bytes: 500_000 });
    assert.ok(predicted >= 500 && predicted < 600, String(predicted));
  });

  it('does not take the cost per byte from a round of a few bytes, whose time is its latency', () => {
    // Seen under load: a round of 98 B in 20 ms, and then 64 KiB pending, predicted at 13 s.
    const rounds = [round(1, 900_000, 1000, 1_000_000), round(2, 98, 20, 98)];
    const pending = { files: 1, bytes: 65_536 };
    const predicted = predictRoundMs(rounds, pending);
    assert.ok(predicted < 100, `about 66 ms of bytes and 1 ms of the file, not ${predicted} ms`);
    const d = decideConvergence(rounds, pending, { ...policy, thresholdBytes: 0 });
    assert.equal(d.reason, 'downtime-target');
  });

  it('weighs only the last rounds: a link that slowed since is not predicted at its old rate', () => {
    const fast = round(1, 900_000, 100, 1_000_000);
    const slow = (n: number) => round(n, 900_000, 1000, 1_000_000);
    const predicted = predictRoundMs([fast, slow(2), slow(3), slow(4)], {
      files: 1,
      bytes: 1_000_000,
    });
    assert.ok(predicted >= 1000, `at the slow rate: ${predicted} ms`);
  });
});
