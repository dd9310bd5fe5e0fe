import { renderMessage } from '../../shared/i18n/render-message.ts';
import { useTranslation } from 'react-i18next';
import { formatDuration } from '../../shared/format.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { useWizard } from '../store-context.tsx';

/** Step 7: a confirmation naming what stops and the predicted downtime; then the timeline. */
export function CutoverStep() {
  const { t } = useTranslation();
  const session = useWizard((s) => s.session);
  const stopCommand = useWizard((s) => s.running?.stopCommand ?? null);
  const call = useWizard((s) => s.sessionCall);
  const cutOver = useWizard((s) => s.cutOver);
  const goTo = useWizard((s) => s.goTo);
  const cancel = useWizard((s) => s.cancel);
  const decision = session.awaiting ?? session.convergence;
  const confirming = session.stage === 'running' || session.stage === 'awaiting-cutover';
  // Until the target is asked to stop and take over, an abort leaves the program with this
  // machine (the rollback command starts it again); after that only the target knows.
  const abortable =
    session.stage === 'cutting-over' && !session.timeline.some((s) => s.step === 'stop-request');
  return (
    <section aria-labelledby="cutover-heading">
      <h2 id="cutover-heading">{t('cutover.heading')}</h2>
      {confirming ? (
        <div
          className="confirm"
          role="alertdialog"
          aria-labelledby="confirm-title"
          aria-describedby="confirm-what"
        >
          <h3 id="confirm-title">{t('cutover.confirmTitle')}</h3>
          <p id="confirm-what">
            {stopCommand ? t('cutover.willStop', { command: stopCommand }) : t('cutover.noStop')}
          </p>
          {session.extraRound ? (
            <p role="status" data-testid="extra-round">
              {t('cutover.extraRound')}
            </p>
          ) : null}
          {decision && Number.isFinite(decision.predictedDowntimeMs) ? (
            <p>
              {t('cutover.predicted', {
                time: formatDuration(Math.max(0, decision.predictedDowntimeMs), t),
              })}
            </p>
          ) : null}
          <div className="row">
            <button
              type="button"
              className="primary danger"
              onClick={() => void cutOver()}
              disabled={call.busy || session.extraRound}
            >
              {t('cutover.confirm')}
            </button>
            <button type="button" onClick={() => goTo('sync')}>
              {t('cutover.cancel')}
            </button>
          </div>
        </div>
      ) : null}
      {abortable ? (
        <p>
          <button type="button" onClick={() => void cancel()} disabled={call.busy}>
            {t('cutover.abort')}
          </button>
        </p>
      ) : null}
      <ErrorBox error={call.error} />
      <h3>{t('cutover.timeline')}</h3>
      <ol className="timeline" aria-live="polite" data-testid="timeline">
        {session.timeline.map((s) => (
          <li key={`${s.step}-${s.at}`}>
            <time dateTime={s.at}>{new Date(s.at).toLocaleTimeString()}</time>{' '}
            {s.said
              ? t('cutover.stepDetail', {
                  step: t(`stepsTimeline.${s.step}`),
                  detail: renderMessage(t, s.said),
                })
              : t(`stepsTimeline.${s.step}`)}
          </li>
        ))}
      </ol>
    </section>
  );
}
