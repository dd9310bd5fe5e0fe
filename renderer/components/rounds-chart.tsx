import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../shared/format.ts';
import type { RoundSummary } from '../../shared/events.ts';
import { layoutRoundsChart } from '../../shared/rounds-chart.ts';

/** Dirty data per round as bars, laid out like the report's chart (shared/rounds-chart.ts). */
export function RoundsChart(props: { rounds: RoundSummary[] }) {
  const { t } = useTranslation();
  const chart = layoutRoundsChart(props.rounds, { width: 560, height: 180, pad: 36 });
  return (
    <figure className="chart">
      <svg
        role="img"
        aria-label={t('sync.chart')}
        viewBox={`0 0 ${chart.width} ${chart.height}`}
        width="100%"
      >
        <line
          x1={chart.pad}
          y1={chart.baseline}
          x2={chart.width - chart.pad}
          y2={chart.baseline}
          stroke="#555"
        />
        <text x={chart.pad} y={chart.pad - 10} fontSize="11">
          {formatBytes(chart.max)}
        </text>
        {chart.bars.map((bar) => (
          <g key={bar.round}>
            <rect x={bar.x} y={bar.y} width={bar.width} height={bar.height} fill={bar.fill}>
              <title>
                {t('format.labelled', {
                  label: t('sync.round', { n: bar.round }),
                  value: formatBytes(bar.dirtyBytes),
                })}
              </title>
            </rect>
            <text x={bar.labelX} y={chart.baseline + 14} fontSize="11" textAnchor="middle">
              {bar.round}
            </text>
            {bar.throttle ? (
              <text x={bar.labelX} y={bar.y - 4} fontSize="10" textAnchor="middle" fill="#b91c1c">
                <title>{t('sync.throttled', { level: bar.throttle })}</title>−{bar.throttle}%
              </text>
            ) : null}
          </g>
        ))}
      </svg>
      <figcaption>{t('sync.chart')}</figcaption>
    </figure>
  );
}
