import { useTranslation } from 'react-i18next';
import { formatDuration } from '../../shared/format.ts';
import { LiveBandwidth } from '../components/bandwidth-field.tsx';
import { NotCopied } from '../components/not-copied.tsx';
import { ProgressFacts } from '../components/progress-facts.tsx';
import { RunControls } from '../components/run-controls.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { RoundsChart } from '../components/rounds-chart.tsx';
import { StepNav } from '../components/step-nav.tsx';
import { useWizard } from '../store-context.tsx';

/** Step 6: the shrinking rounds and the predicted downtime; Cutover lights up on convergence. */
export function SyncStep() {
  const { t } = useTranslation();
  const session = useWizard((s) => s.session);
  const goTo = useWizard((s) => s.goTo);
  const decision = session.awaiting ?? session.convergence;
  const predicted =
    decision && Number.isFinite(decision.predictedDowntimeMs) && decision.predictedDowntimeMs >= 0
      ? t('sync.predicted', { time: formatDuration(decision.predictedDowntimeMs, t) })
      : t('sync.predictedUnknown');
  const live = session.stage === 'running' || session.stage === 'awaiting-cutover';
  return (
    <section aria-labelledby="sync-heading">
      <h2 id="sync-heading">{t('sync.heading')}</h2>
      <RoundsChart rounds={session.rounds} />
      {session.progress?.phase === 'rounds' && live ? (
        <>
          <h3>{t('sync.thisRound')}</h3>
          <ProgressFacts progress={session.progress} />
        </>
      ) : null}
      <p aria-live="polite" data-testid="predicted">
        {predicted}
      </p>
      {session.awaiting ? (
        <p className="ok" role="status" data-testid="converged">
          {t('sync.converged', { reason: t(`reasons.${session.awaiting.reason}`) })}
        </p>
      ) : session.extraRound ? (
        <p role="status">{t('cutover.extraRound')}</p>
      ) : (
        <p>{t('sync.notConverged')}</p>
      )}
      <NotCopied
        count={session.notCopied.length}
        paths={session.notCopied.map((path) => ({ path }))}
      />
      <LiveBandwidth />
      {session.stage === 'paused' ? <p role="status">{t('copy.paused')}</p> : null}
      {session.stage === 'cancelled' ? <p role="status">{t('copy.cancelled')}</p> : null}
      <ErrorBox error={session.error} />
      <RunControls />
      <button
        type="button"
        className={session.awaiting ? 'primary lit' : ''}
        disabled={!live}
        onClick={() => goTo('cutover')}
      >
        {t('sync.cutover')}
      </button>
      <StepNav canNext={false} hideNext hideBack />
    </section>
  );
}
