import type { TFunction } from 'i18next';
import { formatBytes } from '../../shared/format.ts';
import { renderMessage } from '../../shared/i18n/render-message.ts';
import type { MigrationCheck } from '../../shared/report.ts';
import { escape, keyValueTable, table } from './html-parts.ts';
import { profileName } from '../../shared/profile-name.ts';

/** The check before the copy: the machine, the VM profile, the driver plan, pre-flight, files. */
export function renderCheckHtml(check: MigrationCheck, t: TFunction): string {
  const m = check.machine;
  const plan = check.plan;
  const h2 = (key: string): string => `<h2>${escape(t(key))}</h2>`;
  const machine = keyValueTable([
    [t('report.host'), m.hostname],
    [t('report.os'), `${m.os.name} (${m.os.type} ${m.os.version})`],
    [t('report.kernel'), `${m.os.kernel}, ${m.os.arch}`],
    [t('report.boot'), m.bootMode.toUpperCase()],
    [t('report.cpusMemory'), `${m.cpus} / ${formatBytes(m.memoryBytes)}`],
    [
      t('report.volumes'),
      m.volumes
        .map((v) =>
          t('machine.volumeLine', {
            mountpoint: v.mountpoint,
            fsType: v.fsType ?? '?',
            used: formatBytes(v.usedBytes),
            size: formatBytes(v.sizeBytes),
          }),
        )
        .join('; ') || t('report.noVolumes'),
    ],
    [t('report.inspected'), check.checkedAt],
  ]);
  const target = plan.os.target
    ? `${plan.os.target.name} ${plan.os.target.version}`.trim()
    : t('report.notNamed');
  const profile = keyValueTable([
    [
      t('report.profile'),
      `${profileName(t, check.profile)} (${check.profile.id}, ${check.profile.diskFormat})`,
    ],
    [t('report.vmOs'), target],
    [t('report.osComparison'), t(`relation.${plan.os.relation}`)],
    [t('report.condition'), plan.condition],
    [
      t('report.initramfs'),
      plan.initramfs.rebuild
        ? t('report.initramfsRebuild', {
            modules: plan.initramfs.modules.join(', '),
            command: plan.initramfs.command ?? '',
          })
        : t('report.nothingToDo'),
    ],
  ]);
  const c = (key: string): string => t(`report.driverCols.${key}`);
  const drivers = table(
    ['driver', 'role', 'status', 'source', 'vm', 'action', 'advice'].map(c),
    plan.drivers.map((d) => [
      d.name,
      d.role + (d.bootCritical ? t('report.bootRole') : ''),
      t(`driverStatus.${d.status}`),
      d.sourceVersion ?? d.sourceState,
      d.targetVersion ?? '—',
      t(`driverAction.${d.action}`),
      d.adviceMessage ? renderMessage(t, d.adviceMessage) : d.advice,
    ]),
  );
  // Reports written before messages existed carry only the English text.
  const steps = plan.manualMessages?.map((m) => renderMessage(t, m)) ?? plan.manual;
  const manual = steps.length
    ? `<h3>${escape(t('report.byHand'))}</h3><ol>${steps.map((step) => `<li>${escape(step)}</li>`).join('')}</ol>`
    : '';
  const blockers = plan.blockers.length
    ? `<h3>${escape(t('report.blockers'))}</h3><ul>${plan.blockers.map((b) => `<li class="bad">${escape(b.text ? renderMessage(t, b.text) : b.message)}</li>`).join('')}</ul>`
    : '';
  const preflight = table(
    [t('report.check'), t('report.checkResult'), t('report.detail')],
    check.preflight.map((p) => [
      p.titleMessage ? renderMessage(t, p.titleMessage) : p.title,
      t(`level.${p.level}`),
      p.detailMessage ? renderMessage(t, p.detailMessage) : p.detail,
    ]),
  );
  const files = check.driverFiles;
  const f = (key: string): string => t(`report.fileCols.${key}`);
  const difference = files
    ? `${h2('report.differenceFiles')}<p>${escape(
        t('report.differenceSummary', {
          count: files.files.length,
          dir: files.targetDir,
          state:
            files.bytesOnWire > 0
              ? files.verified
                ? t('report.sentVerified')
                : t('report.sentUnverified')
              : t('report.noneSent'),
        }),
      )}</p>${table(
        ['file', 'why', 'size', 'hash'].map(f),
        files.files.map((file) => [file.path, file.reason, formatBytes(file.size), file.hash]),
      )}`
    : '';
  return `${h2('report.machine')}${machine}
${h2('report.profileAndDrivers')}${profile}${drivers}${manual}${blockers}
${h2('report.preflight')}${preflight}
${difference}`;
}
