import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { describeEvent } from '../../shared/describe-event.ts';
import { logKind, type LogEntry } from '../state/event-log.ts';
import { useWizard } from '../store-context.tsx';

const FILTERS = ['all', 'warning', 'cutover', 'rounds', 'vm'] as const;
type Filter = (typeof FILTERS)[number];

/** A line as copied: local time, then the sentence. */
const line = (t: TFunction, entry: LogEntry): string =>
  `${entry.at === null ? '--:--:--' : new Date(entry.at).toLocaleTimeString()}  ${describeEvent(t, entry.event)}`;

/**
 * The session's events, filterable and copyable, reachable from every step: what happened,
 * in order, for a technician who missed a line or must send it to someone.
 */
export function LogView(props: { onClose: () => void }) {
  const { t } = useTranslation();
  const log = useWizard((s) => s.log);
  const [filter, setFilter] = useState<Filter>('all');
  const [copied, setCopied] = useState(false);
  const shown = log.filter((e) => filter === 'all' || logKind(e.event) === filter);
  const text = shown.map((e) => line(t, e)).join('\n');
  return (
    <section className="log-view" aria-labelledby="log-heading">
      <div className="row">
        <h2 id="log-heading">{t('log.heading')}</h2>
        <label>
          {t('log.show')}
          <select value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
            {FILTERS.map((f) => (
              <option key={f} value={f}>
                {t(`log.filters.${f}`)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={shown.length === 0}
          onClick={() =>
            void navigator.clipboard?.writeText(text).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {t('log.copy')}
        </button>
        <button type="button" onClick={props.onClose}>
          {t('log.close')}
        </button>
        {copied ? <span role="status">{t('log.copied')}</span> : null}
      </div>
      <pre className="console" role="log" aria-label={t('log.heading')} tabIndex={0}>
        {text || t('log.empty')}
      </pre>
    </section>
  );
}
