import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoundSummary } from '../../shared/events.ts';
import { BAR_FILL, layoutRoundsChart } from '../../shared/rounds-chart.ts';

const round = (n: number, dirtyBytes: number, final = false): RoundSummary => ({
  round: n,
  startedAt: '',
  durationMs: 0,
  dirtyFiles: 0,
  scannedBytes: 0,
  dirtyBytes,
  wireBytes: 0,
  deleted: 0,
  final,
});

describe('the rounds chart’s layout, shared by the wizard and the report', () => {
  it('scales bars to the largest round, side by side on the axis, the last round apart', () => {
    const chart = layoutRoundsChart([round(1, 4000), round(2, 1000), round(3, 500, true)], {
      width: 340,
      height: 140,
      pad: 20,
    });
    assert.equal(chart.max, 4000);
    const [first, second, last] = chart.bars;
    assert.ok(first && second && last, 'three bars');
    assert.equal(first.height, 100, 'the largest round fills the plot');
    assert.equal(second.height, 25);
    assert.equal(first.y + first.height, chart.baseline, 'bars stand on the axis');
    assert.ok(first.x + first.width < second.x, 'bars do not overlap');
    assert.deepEqual(
      chart.bars.map((b) => b.fill),
      [BAR_FILL.delta, BAR_FILL.delta, BAR_FILL.final],
    );
  });

  it('draws nothing tall for rounds that sent nothing', () => {
    const chart = layoutRoundsChart([round(1, 0)], { width: 100, height: 100, pad: 10 });
    assert.equal(chart.bars[0]?.height, 0);
  });
});
