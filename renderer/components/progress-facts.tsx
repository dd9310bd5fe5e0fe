import { useTranslation } from 'react-i18next';
import { formatBytes, formatDuration } from '../../shared/format.ts';
import type { ProgressEvent } from '../state/session-view.ts';

/** What is moving now: bytes and files done of all, the measured rate and the time left. */
export function ProgressFacts(props: { progress: ProgressEvent }) {
  const { t } = useTranslation();
  const { progress } = props;
  return (
    <dl className="facts" aria-live="polite">
      <dt>{t('copy.dataLabel')}</dt>
      <dd>
        {t('copy.bytes', {
          done: formatBytes(progress.bytesDone),
          total: formatBytes(progress.bytesTotal),
        })}
      </dd>
      <dt>{t('copy.filesLabel')}</dt>
      <dd>{t('copy.files', { done: progress.filesDone, total: progress.filesTotal })}</dd>
      <dt>{t('copy.rateLabel')}</dt>
      <dd>
        {t('copy.rate', { rate: formatBytes(progress.bytesPerSecond) })}
        {' · '}
        {progress.etaSeconds === null
          ? t('copy.etaUnknown')
          : t('copy.eta', { eta: formatDuration(progress.etaSeconds * 1000, t) })}
      </dd>
    </dl>
  );
}
