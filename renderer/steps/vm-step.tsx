import { useTranslation } from 'react-i18next';
import { renderMessage } from '../../shared/i18n/render-message.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { ProgressBar } from '../components/progress-bar.tsx';
import { StepNav } from '../components/step-nav.tsx';
import { useWizard } from '../store-context.tsx';

const STAGES = ['build', 'boot', 'agent', 'check'] as const;

/** Step 6 when the target builds the VM: the image, the VM's console as it boots, its agent. */
export function VmStep() {
  const { t } = useTranslation();
  const session = useWizard((s) => s.session);
  const call = useWizard((s) => s.sessionCall);
  const resume = useWizard((s) => s.resume);
  const log = session.vmLog;
  const up =
    session.phase !== null && !['connect', 'copy', 'vm'].includes(session.phase) && log.length > 0;
  const reached = up ? STAGES.length : STAGES.indexOf(log[log.length - 1]?.step ?? 'build');
  // The check's own progress fills the last stage while it reads the VM's files.
  const checking = session.progress?.phase === 'vm-check' && !up ? session.progress : null;
  const latest = (step: (typeof STAGES)[number]): string | undefined => {
    const line = [...log].reverse().find((l) => l.step === step);
    return line?.said ? renderMessage(t, line.said) : line?.line;
  };
  return (
    <section aria-labelledby="vm-heading">
      <h2 id="vm-heading">{t('vm.heading')}</h2>
      <p>{t('vm.intro')}</p>
      <ProgressBar
        value={up ? 1 : (Math.max(0, reached) + (checking?.value ?? 0)) / STAGES.length}
        label={t('vm.heading')}
      />
      <ol className="checks" aria-live="polite">
        {STAGES.map((stage, i) => (
          <li key={stage} className={i < reached ? 'ok' : ''}>
            <strong>{t(`vm.stages.${stage}`)}</strong>
            {latest(stage) ? <span className="mono small"> — {latest(stage)}</span> : null}
            {stage === 'check' && checking ? (
              <span className="small">
                {' '}
                {t('vm.checking', {
                  done: checking.filesDone,
                  total: checking.filesTotal,
                  file: checking.currentFile,
                })}
              </span>
            ) : null}
          </li>
        ))}
      </ol>
      {up ? <p role="status">{t('vm.up')}</p> : null}
      <h3>{t('vm.console')}</h3>
      <pre className="console" role="log" aria-label={t('vm.console')} tabIndex={0}>
        {log
          .filter((l) => l.step === 'boot')
          .map((l) => l.line)
          .join('\n') || t('vm.noConsole')}
      </pre>
      <ErrorBox
        error={session.error ?? call.error}
        onRetry={session.stage === 'failed' ? () => void resume() : undefined}
      />
      <StepNav canNext={up} hideBack />
    </section>
  );
}
