import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../shared/format.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { StepNav } from '../components/step-nav.tsx';
import { bandwidthFromText } from '../state/bandwidth-text.ts';
import { lines } from '../state/store.ts';
import { useWizard } from '../store-context.tsx';

/**
 * The last page before anything runs (VMware Converter's Summary): what moves where, what is
 * stopped and started, the VM, the downtime target and the limits, in one place; Start is here.
 */
export function SummaryStep() {
  const { t } = useTranslation();
  const selection = useWizard((s) => s.selection);
  const target = useWizard((s) => s.targetInfo);
  const form = useWizard((s) => s.targetForm);
  const measured = useWizard((s) => s.measured);
  const call = useWizard((s) => s.sessionCall);
  const start = useWizard((s) => s.start);
  const sources = lines(selection.sources);
  const excludes = lines(selection.excludes);
  const where = `${target?.hostname ?? form.host} (${form.host}:${form.port})`;
  const bandwidth = bandwidthFromText(selection.bandwidthMbit);
  // A row's third element marks a command, shown in monospace.
  const rows: [string, string, 'mono'?][] = [
    [t('summary.what'), sources.join(', ')],
    [t('summary.size'), measured === null ? t('summary.notMeasured') : formatBytes(measured)],
    [
      t('summary.excluded'),
      [...(selection.defaultExcludes ? [t('summary.defaultExcludes')] : []), ...excludes].join(
        ', ',
      ) || t('summary.none'),
    ],
    [t('summary.where'), where],
    [t('summary.stop'), selection.stopCommand.trim() || t('summary.noStop'), 'mono'],
    [t('summary.rollback'), selection.rollbackCommand.trim() || t('summary.none'), 'mono'],
    [t('summary.start'), target?.handoverCommand ?? t('summary.noStart'), 'mono'],
    [t('summary.release'), selection.releaseCommand.trim() || t('summary.none'), 'mono'],
    [
      t('summary.vm'),
      selection.vmBoot === 'none'
        ? t('summary.noVm')
        : t('summary.vmValue', {
            boot: t(`selection.vmBoots.${selection.vmBoot}`),
            memory: selection.vmMemoryMiB,
            cpus: selection.vmCpus,
            mac: selection.vmKeepSourceMac ? t('summary.sourceMac') : t('summary.newMac'),
            network: selection.vmBridge.trim()
              ? t('summary.vmBridge', { bridge: selection.vmBridge.trim() })
              : t('summary.vmNoNetwork'),
          }),
    ],
    [t('summary.downtime'), t('summary.seconds', { n: selection.downtimeSeconds })],
    [
      t('summary.bandwidth'),
      bandwidth ? t('bandwidth.now', { mbit: bandwidth }) : t('bandwidth.nowNone'),
    ],
    [
      t('summary.autoConverge'),
      selection.autoConverge
        ? t('summary.autoConvergeOn', { pid: selection.autoConvergePid })
        : t('summary.off'),
    ],
  ];
  return (
    <section aria-labelledby="summary-heading">
      <h2 id="summary-heading">{t('summary.heading')}</h2>
      <p>{t('summary.intro')}</p>
      <table className="summary" data-testid="summary">
        <tbody>
          {rows.map(([key, value, look]) => (
            <tr key={key}>
              <th scope="row">{key}</th>
              <td className={look ?? ''}>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorBox error={call.error} />
      <button
        type="button"
        className="primary"
        disabled={call.busy || sources.length === 0}
        onClick={() => void start()}
      >
        {t('selection.start')}
      </button>
      <StepNav canNext={false} hideNext />
    </section>
  );
}
