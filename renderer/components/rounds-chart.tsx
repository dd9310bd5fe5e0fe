import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../shared/format.ts';
import type { RoundSummary } from '../../shared/events.ts';

/**
 * Dirty data per round as bars, drawn as SVG like the report's chart: a handful of bars needs
 * no charting library, and the same picture appears in both places.
 */
export function RoundsChart(props: { rounds: RoundSummary[] }) {
  const { t } = useTranslation();
  const width = 560;
  const height = 180;
  const pad = 36;
  const max = Math.max(1, ...props.rounds.map((r) => r.dirtyBytes));
  const bar = (width - pad * 2) / Math.max(props.rounds.length, 1);
  return (
    <figure className="chart">
      <svg role="img" aria-label={t('sync.chart')} viewBox={`0 0 ${width} ${height}`} width="100%">
        <line x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} stroke="#555" />
        <text x={pad} y={pad - 10} fontSize="11">
          {formatBytes(max)}
        </text>
        {props.rounds.map((r, i) => {
          const h = ((height - pad * 2) * r.dirtyBytes) / max;
          const x = pad + i * bar + bar * 0.1;
          return (
            <g key={r.round}>
              <rect
                x={x}
                y={height - pad - h}
                width={bar * 0.8}
                height={h}
                fill={r.final ? '#b45309' : '#1d4ed8'}
              >
                <title>{`${t('sync.round', { n: r.round })}: ${formatBytes(r.dirtyBytes)}`}</title>
              </rect>
              <text x={x + bar * 0.4} y={height - pad + 14} fontSize="11" textAnchor="middle">
                {r.round}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>{t('sync.chart')}</figcaption>
    </figure>
  );
}
