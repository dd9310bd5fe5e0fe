import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../shared/format.ts';
import { DowntimeTargetSeconds, ProcessId, VmCpus, VmMemoryMiB } from '../../shared/api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { JobSettings } from '../components/job-settings.tsx';
import { BridgeField, bridgeValid } from '../components/bridge-field.tsx';
import { BandwidthField } from '../components/bandwidth-field.tsx';
import { bandwidthFromText } from '../state/bandwidth-text.ts';
import { isValidNumber, NumberField } from '../components/number-field.tsx';
import { StepNav } from '../components/step-nav.tsx';
import { VolumePicker } from '../components/volume-picker.tsx';
import { lines } from '../state/store.ts';
import { useWizard } from '../store-context.tsx';
import { VM_BOOT_CHOICES } from '../state/selection-form.ts';

/** Step 4: folders, exclusions, the program to stop, the downtime target; then start. */
/** Error codes the screen explains in words; others are shown as they are. */
const WHY = ['ENOENT', 'EACCES', 'EPERM', 'ENOTDIR'];

type CommandName = 'stopCommand' | 'rollbackCommand' | 'flushCommand' | 'releaseCommand';

/** A command of the selection as typed, labelled from the catalog, in a monospace field. */
function CommandField({ field }: { field: CommandName }) {
  const { t } = useTranslation();
  const value = useWizard((s) => s.selection[field]);
  const setSelection = useWizard((s) => s.setSelection);
  return (
    <label>
      {t(`selection.${field}`)}
      <input
        className="mono"
        data-testid={field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}
        value={value}
        onChange={(e) => setSelection({ [field]: e.target.value })}
      />
    </label>
  );
}

export function SelectionStep() {
  const { t } = useTranslation();
  const selection = useWizard((s) => s.selection);
  const setSelection = useWizard((s) => s.setSelection);
  const machine = useWizard((s) => s.machine);
  const services = machine?.services ?? [];
  const volumes = machine?.volumes ?? [];
  const target = useWizard((s) => s.targetInfo);
  const measured = useWizard((s) => s.measured);
  const unreadable = useWizard((s) => s.unreadable);
  const measureCall = useWizard((s) => s.measureCall);
  const measure = useWizard((s) => s.measure);
  const startCall = useWizard((s) => s.sessionCall);
  const goTo = useWizard((s) => s.goTo);
  const tooBig = measured !== null && target !== null && measured > target.freeBytes;
  const numbersValid =
    isValidNumber(DowntimeTargetSeconds, selection.downtimeSeconds) &&
    bandwidthFromText(selection.bandwidthMbit) !== undefined &&
    (!selection.autoConverge || isValidNumber(ProcessId, selection.autoConvergePid)) &&
    (selection.vmBoot === 'none' ||
      (isValidNumber(VmMemoryMiB, selection.vmMemoryMiB) &&
        isValidNumber(VmCpus, selection.vmCpus) &&
        bridgeValid(selection.vmBridge)));
  return (
    <section aria-labelledby="selection-heading">
      <h2 id="selection-heading">{t('selection.heading')}</h2>
      <JobSettings />
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          goTo('summary');
        }}
      >
        <VolumePicker volumes={volumes} />
        <label>
          {t('selection.sources')}
          <textarea
            rows={3}
            value={selection.sources}
            onChange={(e) => setSelection({ sources: e.target.value })}
          />
        </label>
        <label>
          {t('selection.excludes')}
          <textarea
            rows={2}
            value={selection.excludes}
            onChange={(e) => setSelection({ excludes: e.target.value })}
          />
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={selection.defaultExcludes}
            onChange={(e) => setSelection({ defaultExcludes: e.target.checked })}
          />
          {t('selection.defaultExcludes')}
        </label>
        <div className="row">
          <button
            type="button"
            onClick={() => void measure()}
            disabled={measureCall.busy || lines(selection.sources).length === 0}
          >
            {t('selection.measure')}
          </button>
          {measured !== null ? (
            <span role="status" className={tooBig ? 'bad' : ''} data-testid="selected-bytes">
              {t('selection.selected', {
                bytes: formatBytes(measured),
                free: target ? formatBytes(target.freeBytes) : '?',
              })}
            </span>
          ) : null}
        </div>
        {unreadable && unreadable.unreadableCount > 0 ? (
          <div role="alert" className="bad" data-testid="unreadable">
            <p>{t('selection.unreadable', { count: unreadable.unreadableCount })}</p>
            <ul>
              {unreadable.unreadable.map(({ path, code }) => (
                <li key={path}>
                  <code>{path}</code>
                  {t('format.separator')}
                  {t(`selection.why.${WHY.includes(code) ? code : 'other'}`, { code })}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        <ErrorBox error={measureCall.error} onRetry={() => void measure()} />
        <label>
          {t('selection.stopPick')}
          <select
            value=""
            onChange={(e) => {
              const service = services.find((s) => s.name === e.target.value);
              if (service)
                setSelection({
                  stopCommand: service.stopCommand,
                  rollbackCommand: service.startCommand,
                });
            }}
          >
            <option value="">{t('selection.stopNone')}</option>
            {services.map((s) => (
              <option key={s.name} value={s.name}>
                {`${s.name} — ${s.description}`}
              </option>
            ))}
          </select>
        </label>
        <CommandField field="stopCommand" />
        {selection.stopCommand.trim() === '' ? (
          <p role="note" className="warn" data-testid="no-stop-command">
            {t('selection.noStopCommand')}
          </p>
        ) : null}
        <CommandField field="rollbackCommand" />
        <CommandField field="flushCommand" />
        <p>
          <strong>{t('selection.startCommand')}</strong>{' '}
          <code data-testid="start-command">
            {target?.handoverCommand ?? t('selection.startNone')}
          </code>
        </p>
        <CommandField field="releaseCommand" />
        <NumberField
          label={t('selection.downtime')}
          schema={DowntimeTargetSeconds}
          value={selection.downtimeSeconds}
          onChange={(downtimeSeconds) => setSelection({ downtimeSeconds })}
        />
        <fieldset>
          <legend>{t('selection.vm')}</legend>
          <label>
            {t('selection.vmBoot')}
            <select
              value={selection.vmBoot}
              onChange={(e) => setSelection({ vmBoot: e.target.value as typeof selection.vmBoot })}
            >
              {VM_BOOT_CHOICES.map((boot) => (
                <option key={boot} value={boot}>
                  {t(`selection.vmBoots.${boot}`)}
                </option>
              ))}
            </select>
          </label>
          {selection.vmBoot !== 'none' ? (
            <div className="row">
              <NumberField
                label={t('selection.vmMemory')}
                schema={VmMemoryMiB}
                value={selection.vmMemoryMiB}
                onChange={(vmMemoryMiB) => setSelection({ vmMemoryMiB })}
              />
              <NumberField
                label={t('selection.vmCpus')}
                schema={VmCpus}
                value={selection.vmCpus}
                onChange={(vmCpus) => setSelection({ vmCpus })}
              />
            </div>
          ) : null}
          {selection.vmBoot !== 'none' ? (
            <label className="check">
              <input
                type="checkbox"
                checked={selection.vmKeepSourceMac}
                onChange={(e) => setSelection({ vmKeepSourceMac: e.target.checked })}
              />
              {t('selection.vmKeepMac')}
              <span className="small"> {t('selection.vmKeepMacHint')}</span>
            </label>
          ) : null}
          {selection.vmBoot !== 'none' ? (
            <BridgeField
              value={selection.vmBridge}
              onChange={(vmBridge) => setSelection({ vmBridge })}
            />
          ) : null}
        </fieldset>
        <BandwidthField
          value={selection.bandwidthMbit}
          onChange={(bandwidthMbit) => setSelection({ bandwidthMbit })}
        />
        <fieldset>
          <legend>{t('selection.autoConverge')}</legend>
          <label className="check">
            <input
              type="checkbox"
              checked={selection.autoConverge}
              onChange={(e) => setSelection({ autoConverge: e.target.checked })}
            />
            {t('selection.autoConvergeOn')}
          </label>
          <p className="small">{t('selection.autoConvergeRisk')}</p>
          {selection.autoConverge ? (
            <NumberField
              label={t('selection.autoConvergePid')}
              schema={ProcessId}
              value={selection.autoConvergePid}
              onChange={(autoConvergePid) => setSelection({ autoConvergePid })}
            />
          ) : null}
        </fieldset>
        <ErrorBox error={startCall.error} />
        <button
          type="submit"
          className="primary"
          disabled={
            startCall.busy || lines(selection.sources).length === 0 || tooBig || !numbersValid
          }
        >
          {t('selection.review')}
        </button>
      </form>
      <StepNav canNext={false} hideNext />
    </section>
  );
}
