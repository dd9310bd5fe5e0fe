import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, type Language } from '../shared/i18n/index.ts';
import { LogView } from './components/log-view.tsx';
import { ReconnectNotice } from './components/reconnect-notice.tsx';
import { switchLanguage } from './i18n.ts';
import { stepsFor, type Step } from './state/steps.ts';
import { CompatibilityStep } from './steps/compatibility-step.tsx';
import { CopyStep } from './steps/copy-step.tsx';
import { CutoverStep } from './steps/cutover-step.tsx';
import { DoneStep } from './steps/done-step.tsx';
import { MachineStep } from './steps/machine-step.tsx';
import { SelectionStep } from './steps/selection-step.tsx';
import { SummaryStep } from './steps/summary-step.tsx';
import { SyncStep } from './steps/sync-step.tsx';
import { TargetStep } from './steps/target-step.tsx';
import { VmStep } from './steps/vm-step.tsx';
import { useWizard } from './store-context.tsx';

const SCREENS: Record<Step, () => React.JSX.Element> = {
  machine: MachineStep,
  target: TargetStep,
  compatibility: CompatibilityStep,
  selection: SelectionStep,
  summary: SummaryStep,
  copy: CopyStep,
  vm: VmStep,
  sync: SyncStep,
  cutover: CutoverStep,
  done: DoneStep,
};

const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-CN': '简体中文' };

/** The wizard: a list of steps, the current screen, and the language switch. */
export function App() {
  const { t, i18n } = useTranslation();
  const step = useWizard((s) => s.step);
  const Screen = SCREENS[step];
  const running = useWizard((s) => s.running);
  const steps = stepsFor(running);
  const index = steps.indexOf(step);
  const [logOpen, setLogOpen] = useState(false);
  const logged = useWizard((s) => s.log.length);
  useEffect(() => {
    document.title = `${t('app.title')} — ${t(`steps.${step}`)}`;
    document.getElementById('main')?.focus();
  }, [step, t]);
  return (
    <div className="app">
      <header>
        <h1>
          <img className="logo" src="icon.svg" alt="" width={32} height={32} />
          {t('app.title')}
        </h1>
        <button
          type="button"
          className="log-button"
          aria-expanded={logOpen}
          onClick={() => setLogOpen(!logOpen)}
        >
          {t('log.open')} ({logged})
        </button>
        <label className="language">
          {t('app.language')}
          <select
            value={i18n.language}
            onChange={(e) => switchLanguage(e.target.value as Language)}
          >
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {LANGUAGE_NAMES[l]}
              </option>
            ))}
          </select>
        </label>
      </header>
      <nav aria-label={t('app.stepOf', { n: index + 1, total: steps.length })}>
        <ol className="steps">
          {steps.map((s, i) => (
            <li
              key={s}
              className={i === index ? 'current' : i < index ? 'past' : ''}
              aria-current={i === index ? 'step' : undefined}
            >
              {t(`steps.${s}`)}
            </li>
          ))}
        </ol>
      </nav>
      {logOpen ? <LogView onClose={() => setLogOpen(false)} /> : null}
      <main id="main" tabIndex={-1} data-step={step}>
        <ReconnectNotice />
        <p className="step-lead" data-testid="step-lead">
          {t(`lead.${step}`)}
        </p>
        <Screen />
      </main>
    </div>
  );
}
