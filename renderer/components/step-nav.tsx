import { useTranslation } from 'react-i18next';
import { useWizard } from '../store-context.tsx';

/** Back and Next; Next waits until the screen has what the next one needs. */
export function StepNav(props: { canNext: boolean; hideNext?: boolean; hideBack?: boolean }) {
  const { t } = useTranslation();
  const back = useWizard((s) => s.back);
  const next = useWizard((s) => s.next);
  return (
    <nav className="step-nav">
      {props.hideBack ? (
        <span />
      ) : (
        <button type="button" onClick={back}>
          {t('app.back')}
        </button>
      )}
      {props.hideNext ? null : (
        <button type="button" className="primary" onClick={next} disabled={!props.canNext}>
          {t('app.next')}
        </button>
      )}
    </nav>
  );
}
