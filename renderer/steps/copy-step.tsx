import { useTranslation } from 'react-i18next';
import { LiveBandwidth } from '../components/bandwidth-field.tsx';
import { NotCopied } from '../components/not-copied.tsx';
import { ProgressFacts } from '../components/progress-facts.tsx';
import { RunControls } from '../components/run-controls.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { ProgressBar } from '../components/progress-bar.tsx';
import { StepNav } from '../components/step-nav.tsx';
import { useWizard } from '../store-context.tsx';

/** Step 5: the full copy's progress, with pause, resume and cancel. */
export function CopyStep() {
  const { t } = useTranslation();
  const session = useWizard((s) => s.session);
  const call = useWizard((s) => s.sessionCall);
  const progress = session.progress?.phase === 'copy' ? session.progress : null;
  const copied = session.phase !== null && session.phase !== 'connect' && session.phase !== 'copy';
  return (
    <section aria-labelledby="copy-heading">
      <h2 id="copy-heading">{t('copy.heading')}</h2>
      <ProgressBar value={copied ? 1 : (progress?.value ?? 0)} label={t('copy.heading')} />
      {progress ? <ProgressFacts progress={progress} /> : null}
      {progress?.currentFile ? (
        <p className="mono small">{t('copy.current', { file: progress.currentFile })}</p>
      ) : null}
      {session.stage === 'paused' ? <p role="status">{t('copy.paused')}</p> : null}
      {session.stage === 'cancelled' ? <p role="status">{t('copy.cancelled')}</p> : null}
      <NotCopied
        count={session.notCopied.length}
        paths={session.notCopied.map((path) => ({ path }))}
      />
      <LiveBandwidth />
      <ErrorBox error={session.error ?? call.error} />
      <RunControls />
      <StepNav canNext={copied} hideBack />
    </section>
  );
}
