import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useWizard } from '../store-context.tsx';

/**
 * Pause, resume and cancel for a running migration, on Copy and Sync alike. Cancel asks first,
 * saying what it means; after a cancel or a failure there is always a way on: resume from
 * where it stopped (its state is kept), or start a new migration from What to move.
 */
export function RunControls() {
  const { t } = useTranslation();
  const stage = useWizard((s) => s.session.stage);
  const call = useWizard((s) => s.sessionCall);
  const pause = useWizard((s) => s.pause);
  const resume = useWizard((s) => s.resume);
  const cancel = useWizard((s) => s.cancel);
  const startOver = useWizard((s) => s.startOver);
  const [confirming, setConfirming] = useState(false);
  const live = stage === 'running' || stage === 'paused' || stage === 'awaiting-cutover';
  if (confirming && live)
    return (
      <div className="confirm" role="alertdialog" aria-labelledby="cancel-question">
        <p id="cancel-question">{t('run.cancelQuestion')}</p>
        <div className="row">
          <button
            type="button"
            className="danger"
            disabled={call.busy}
            onClick={() => {
              setConfirming(false);
              void cancel();
            }}
          >
            {t('run.cancelYes')}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            {t('run.cancelNo')}
          </button>
        </div>
      </div>
    );
  return (
    <div className="row">
      {stage === 'running' ? (
        <button type="button" onClick={() => void pause()} disabled={call.busy}>
          {t('copy.pause')}
        </button>
      ) : null}
      {stage === 'paused' || stage === 'cancelled' || stage === 'failed' ? (
        <button type="button" onClick={() => void resume()} disabled={call.busy}>
          {t('copy.resume')}
        </button>
      ) : null}
      {live ? (
        <button type="button" onClick={() => setConfirming(true)} disabled={call.busy}>
          {t('copy.cancel')}
        </button>
      ) : null}
      {stage === 'cancelled' || stage === 'failed' ? (
        <button type="button" onClick={() => startOver()} disabled={call.busy}>
          {t('run.startOver')}
        </button>
      ) : null}
    </div>
  );
}
