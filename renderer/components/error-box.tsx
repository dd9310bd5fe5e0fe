import { useTranslation } from 'react-i18next';
import type { ErrorInfo } from '../../shared/errors.ts';

/** What went wrong, in the technician's language, with what to do and a retry where it helps. */
export function ErrorBox(props: { error: ErrorInfo | null; onRetry?: () => void }) {
  const { t } = useTranslation();
  if (!props.error) return null;
  return (
    <div className="error" role="alert">
      <p>{t(`errors.${props.error.code}`, { defaultValue: props.error.message })}</p>
      {props.error.detail ? <p className="detail">{props.error.detail}</p> : null}
      {props.onRetry ? (
        <button type="button" onClick={props.onRetry}>
          {t('app.retry')}
        </button>
      ) : null}
    </div>
  );
}
