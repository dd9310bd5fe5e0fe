import type { RoundSummary } from './events.ts';

/** One round's bar, placed. */
export interface ChartBar {
  round: number;
  final: boolean;
  dirtyBytes: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Where the round's number is written under the bar. */
  labelX: number;
  fill: string;
  /** Auto-converge's level during the round ("−30%" above the bar), if the program was slowed. */
  throttle?: number;
}

/** The rounds chart laid out: drawn as SVG by the wizard (React) and the report (a string). */
export interface ChartLayout {
  width: number;
  height: number;
  pad: number;
  /** The tallest bar's bytes, written at the top of the axis. */
  max: number;
  /** The y of the axis line. */
  baseline: number;
  bars: ChartBar[];
}

/** Bars of the rounds before the stop, and of those after it. */
export const BAR_FILL = { delta: '#1d4ed8', final: '#b45309' } as const;

/**
 * Dirty bytes per round as bars: one geometry for the wizard and the report, so the same
 * picture appears in both. A handful of bars needs no charting library.
 */
export function layoutRoundsChart(
  rounds: RoundSummary[],
  size: { width: number; height: number; pad: number },
): ChartLayout {
  const { width, height, pad } = size;
  const max = Math.max(1, ...rounds.map((r) => r.dirtyBytes));
  const slot = (width - pad * 2) / Math.max(rounds.length, 1);
  const baseline = height - pad;
  return {
    ...size,
    max,
    baseline,
    bars: rounds.map((r, i) => {
      const barHeight = ((height - pad * 2) * r.dirtyBytes) / max;
      const x = pad + i * slot + slot * 0.1;
      return {
        round: r.round,
        final: r.final,
        dirtyBytes: r.dirtyBytes,
        x,
        y: baseline - barHeight,
        width: slot * 0.8,
        height: barHeight,
        labelX: x + slot * 0.4,
        fill: r.final ? BAR_FILL.final : BAR_FILL.delta,
        ...(r.throttle ? { throttle: r.throttle } : {}),
      };
    }),
  };
}
