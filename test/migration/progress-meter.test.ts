import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MigrationEvent } from '../../shared/events.ts';
import { ProgressMeter } from '../../engine/migration/progress-meter.ts';

describe('the progress meter', () => {
  it('gives the time left to the tenth of a second, so a short wait is not "0 ms left"', () => {
    const events: MigrationEvent[] = [];
    let clock = 0;
    const meter = new ProgressMeter(
      'copy',
      30e6,
      10,
      (e) => events.push(e),
      () => clock,
    );
    clock = 1000;
    // 16 MB in a second, 14 MB left: a little under a second.
    meter.add(16e6, 5, 'blob5');
    const last = events.at(-1) as Extract<MigrationEvent, { type: 'progress' }>;
    assert.equal(last.bytesPerSecond, 16e6);
    assert.equal(last.etaSeconds, 0.9);
    clock = 1250;
    meter.add(3.9e6, 1, 'blob6');
    const next = events.at(-1) as Extract<MigrationEvent, { type: 'progress' }>;
    assert.ok(
      next.etaSeconds !== null && next.etaSeconds > 0 && next.etaSeconds < 1,
      `${next.etaSeconds}`,
    );
  });
});
