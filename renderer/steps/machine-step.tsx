import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../shared/format.ts';
import { renderMessage } from '../../shared/i18n/render-message.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { StepNav } from '../components/step-nav.tsx';
import { VolumeList } from '../components/volume-list.tsx';
import { useWizard } from '../store-context.tsx';

/** Step 1: what this machine is, from the inspection. */
export function MachineStep() {
  const { t } = useTranslation();
  const machine = useWizard((s) => s.machine);
  const call = useWizard((s) => s.machineCall);
  const load = useWizard((s) => s.loadMachine);
  useEffect(() => {
    if (!machine && !call.busy && !call.error) void load();
  }, [machine, call.busy, call.error, load]);
  return (
    <section aria-labelledby="machine-heading">
      <h2 id="machine-heading">{t('machine.heading')}</h2>
      {call.busy ? <p aria-live="polite">{t('app.loading')}</p> : null}
      <ErrorBox error={call.error} onRetry={() => void load()} />
      {machine ? (
        <>
          <dl className="facts">
            <dt>{t('machine.os')}</dt>
            <dd data-testid="machine-os">{machine.os.name}</dd>
            <dt>{t('machine.kernel')}</dt>
            <dd>{`${machine.os.kernel} (${machine.os.arch})`}</dd>
            <dt>{t('machine.boot')}</dt>
            <dd>{machine.bootMode.toUpperCase()}</dd>
            <dt>{t('machine.cpus')}</dt>
            <dd>{machine.cpus}</dd>
            <dt>{t('machine.memory')}</dt>
            <dd>{formatBytes(machine.memoryBytes)}</dd>
          </dl>
          <h3>{t('machine.volumes')}</h3>
          <VolumeList volumes={machine.volumes} />
          <h3>{t('machine.network')}</h3>
          <ul>
            {machine.network.map((n) => (
              <li key={n.name}>{`${n.name} ${n.mac} ${n.addresses.join(', ')}`}</li>
            ))}
          </ul>
          <h3>{`${t('machine.services')} (${machine.services.length})`}</h3>
          <ul className="compact">
            {machine.services.slice(0, 30).map((s) => (
              <li key={s.name}>{`${s.name} — ${s.description}`}</li>
            ))}
          </ul>
          <p>
            {t('format.labelled', {
              label: t('machine.drivers'),
              value: machine.drivers.drivers.filter((d) => d.loaded).length,
            })}
          </p>
          {machine.noteMessages.length > 0 ? (
            <>
              <h3>{t('machine.notes')}</h3>
              <ul>
                {machine.noteMessages.map((note, i) => (
                  <li key={i}>{renderMessage(t, note)}</li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : null}
      <StepNav canNext={machine !== null} hideBack />
    </section>
  );
}
