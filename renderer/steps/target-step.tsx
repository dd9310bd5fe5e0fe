import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../shared/format.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { StepNav } from '../components/step-nav.tsx';
import { targetAddress } from '../state/store.ts';
import { useWizard } from '../store-context.tsx';

/** Step 2: the agent's address, token and fingerprint; a test connection shows its machine. */
export function TargetStep() {
  const { t } = useTranslation();
  const form = useWizard((s) => s.targetForm);
  const info = useWizard((s) => s.targetInfo);
  const call = useWizard((s) => s.targetCall);
  const setForm = useWizard((s) => s.setTargetForm);
  const test = useWizard((s) => s.testConnection);
  return (
    <section aria-labelledby="target-heading">
      <h2 id="target-heading">{t('target.heading')}</h2>
      <p>{t('target.intro')}</p>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          void test();
        }}
      >
        <label>
          {t('target.host')}
          <input
            value={form.host}
            onChange={(e) => setForm({ host: e.target.value })}
            autoComplete="off"
            required
          />
        </label>
        <label>
          {t('target.port')}
          <input
            value={form.port}
            onChange={(e) => setForm({ port: e.target.value })}
            inputMode="numeric"
            required
          />
        </label>
        <label>
          {t('target.token')}
          <input
            value={form.token}
            onChange={(e) => setForm({ token: e.target.value })}
            autoComplete="off"
            required
          />
        </label>
        <label>
          {t('target.fingerprint')}
          <input
            className="mono"
            value={form.fingerprint}
            onChange={(e) => setForm({ fingerprint: e.target.value })}
            autoComplete="off"
            required
          />
        </label>
        <button type="submit" disabled={!targetAddress(form) || call.busy}>
          {t('target.test')}
        </button>
      </form>
      {call.busy ? <p aria-live="polite">{t('app.loading')}</p> : null}
      <ErrorBox error={call.error} onRetry={() => void test()} />
      {info ? (
        <>
          <p className="ok" role="status" data-testid="target-connected">
            {t('target.connected', {
              hostname: info.hostname,
              os: info.os.name,
              free: formatBytes(info.freeBytes),
              root: info.rootPath,
            })}
          </p>
          <label className="check">
            <input
              type="checkbox"
              checked={form.confirmed}
              onChange={(e) => setForm({ confirmed: e.target.checked })}
            />
            {t('target.fingerprintConfirm')}
          </label>
        </>
      ) : null}
      <StepNav canNext={info !== null && form.confirmed} />
    </section>
  );
}
