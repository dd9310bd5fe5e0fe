import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { UpdateCondition } from '../../shared/driver-plan.ts';
import { renderMessage } from '../../shared/i18n/render-message.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { StepNav } from '../components/step-nav.tsx';
import { useWizard } from '../store-context.tsx';
import { profileName } from '../../shared/profile-name.ts';

/** Step 3: the OS and driver comparison, the plan and the pre-flight; blockers stop here. */
export function CompatibilityStep() {
  const { t } = useTranslation();
  const profiles = useWizard((s) => s.profiles);
  const form = useWizard((s) => s.checkForm);
  const result = useWizard((s) => s.checkResult);
  const call = useWizard((s) => s.checkCall);
  const loadProfiles = useWizard((s) => s.loadProfiles);
  const setForm = useWizard((s) => s.setCheckForm);
  const run = useWizard((s) => s.runCheck);
  useEffect(() => {
    if (profiles.length === 0) void loadProfiles();
  }, [profiles.length, loadProfiles]);
  const plan = result?.plan;
  return (
    <section aria-labelledby="compat-heading">
      <h2 id="compat-heading">{t('compatibility.heading')}</h2>
      <div className="form">
        <label>
          {t('compatibility.profile')}
          <select value={form.profile} onChange={(e) => setForm({ profile: e.target.value })}>
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {profileName(t, p)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('compatibility.condition')}
          <select
            value={form.condition}
            onChange={(e) => setForm({ condition: e.target.value as UpdateCondition })}
          >
            <option value="missing">{t('compatibility.conditionMissing')}</option>
            <option value="any">{t('compatibility.conditionAny')}</option>
            <option value="major">{t('compatibility.conditionMajor')}</option>
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={form.agentInVm}
            onChange={(e) => setForm({ agentInVm: e.target.checked })}
          />
          {t('compatibility.agentInVm')}
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={form.sharedNetwork}
            onChange={(e) => setForm({ sharedNetwork: e.target.checked })}
          />
          {t('compatibility.sharedNetwork')}
        </label>
        <button type="button" onClick={() => void run()} disabled={call.busy}>
          {t('compatibility.run')}
        </button>
      </div>
      {call.busy ? <p aria-live="polite">{t('app.loading')}</p> : null}
      <ErrorBox error={call.error} onRetry={() => void run()} />
      {plan && result ? (
        <div data-testid="check-result">
          <p>{t('compatibility.osRelation', { relation: t(`relation.${plan.os.relation}`) })}</p>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('compatibility.driver')}</th>
                <th scope="col">{t('compatibility.status')}</th>
                <th scope="col">{t('compatibility.action')}</th>
                <th scope="col">{t('compatibility.advice')}</th>
              </tr>
            </thead>
            <tbody>
              {plan.drivers.map((d) => (
                <tr key={d.name}>
                  <td>{d.name}</td>
                  <td>{t(`driverStatus.${d.status}`)}</td>
                  <td>{t(`driverAction.${d.action}`)}</td>
                  <td>{renderMessage(t, d.adviceMessage)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {plan.initramfs.command ? (
            <p>{t('compatibility.initramfs', { command: plan.initramfs.command })}</p>
          ) : null}
          {plan.manual.length > 0 ? (
            <>
              <h3>{t('compatibility.manual')}</h3>
              <ol>
                {plan.manualMessages.map((step, i) => (
                  <li key={i}>{renderMessage(t, step)}</li>
                ))}
              </ol>
            </>
          ) : null}
          <h3>{t('compatibility.preflight')}</h3>
          <ul className="checks">
            {result.preflight.map((c) => (
              <li key={c.id} className={c.level}>
                <strong>
                  {t('format.labelled', {
                    label: t(`level.${c.level}`),
                    value: renderMessage(t, c.titleMessage),
                  })}
                </strong>{' '}
                {renderMessage(t, c.detailMessage)}
              </li>
            ))}
          </ul>
          {result.blocked ? (
            <div className="error" role="alert">
              <p>{t('compatibility.blocked')}</p>
              <ul>
                {plan.blockers.map((b) => (
                  <li key={b.code}>{renderMessage(t, b.text)}</li>
                ))}
              </ul>
            </div>
          ) : (
            <p className="ok" role="status">
              {t('compatibility.noBlockers')}
            </p>
          )}
        </div>
      ) : null}
      <StepNav canNext={result !== null && !result.blocked} />
    </section>
  );
}
