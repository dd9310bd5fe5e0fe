import { useTranslation } from 'react-i18next';
import { useWizard } from '../store-context.tsx';

/**
 * Shown while the engine reconnects to the agent (a dropped or silent link), on every screen:
 * without it the progress would only stand still. Gone once the engine hears from the agent.
 */
export function ReconnectNotice() {
  const { t } = useTranslation();
  const reconnecting = useWizard((s) => s.session.reconnecting);
  if (!reconnecting) return null;
  const { error } = reconnecting;
  return (
    <div className="notice" role="status">
      <p>{t('app.reconnecting', { attempt: reconnecting.attempt })}</p>
      <p className="detail">
        {error ? (error.detail ?? t(`errors.${error.code}`)) : reconnecting.reason}
      </p>
    </div>
  );
}
