import type { TFunction } from 'i18next';
import type { DriverFilesResult, DriverPlan } from '../shared/driver-plan.ts';
import type { PreflightCheck } from '../shared/preflight.ts';
import { formatBytes } from '../shared/format.ts';
import { renderMessage } from '../shared/i18n/render-message.ts';
import { profileName } from '../shared/profile-name.ts';

const MARK = { ok: 'ok', warning: '!!', blocker: 'XX' } as const;

const CONDITION_KEY = {
  missing: 'compatibility.conditionMissing',
  any: 'compatibility.conditionAny',
  major: 'compatibility.conditionMajor',
} as const;

/** The driver plan, pre-flight and difference files as plain text, in the language `t` speaks. */
export function describeCheck(
  t: TFunction,
  plan: DriverPlan,
  preflight: PreflightCheck[],
  files: DriverFilesResult | null,
): string {
  const labelled = (label: string, value: string): string =>
    t('format.labelled', { label: t(label), value });
  const heading = (label: string): string => t('format.heading', { label: t(label) });
  const target = plan.os.target
    ? `${plan.os.target.name} ${plan.os.target.version}`.trim()
    : t('report.notNamed');
  const lines = [
    labelled(
      'report.profile',
      t('cli.profileLine', {
        profile: profileName(t, { id: plan.profileId, name: plan.profileName }),
        condition: t(CONDITION_KEY[plan.condition]),
      }),
    ),
    labelled(
      'report.osComparison',
      t('cli.osLine', {
        source: plan.os.source.name,
        vm: target,
        relation: t(`relation.${plan.os.relation}`),
      }),
    ),
    '',
    heading('cli.drivers'),
    ...plan.drivers.map(
      (d) =>
        `  ${d.action === 'none' ? 'ok' : '->'} ${d.name.padEnd(15)} ${t(`driverStatus.${d.status}`).padEnd(8)} ${renderMessage(t, d.adviceMessage)}`,
    ),
  ];
  if (plan.initramfs.rebuild)
    lines.push(
      '',
      labelled(
        'report.initramfs',
        t('report.initramfsRebuild', {
          modules: plan.initramfs.modules.join(', '),
          command: plan.initramfs.command,
        }),
      ),
    );
  if (plan.manualMessages.length > 0)
    lines.push(
      '',
      heading('report.byHand'),
      ...plan.manualMessages.map((step, i) => `  ${i + 1}. ${renderMessage(t, step)}`),
    );
  if (plan.warningMessages.length > 0)
    lines.push('', ...plan.warningMessages.map((w) => `!! ${renderMessage(t, w)}`));
  const said = (c: PreflightCheck): string =>
    t('format.labelled', {
      label: renderMessage(t, c.titleMessage),
      value: renderMessage(t, c.detailMessage),
    });
  lines.push(
    '',
    heading('report.preflight'),
    ...preflight.map((c) => `  ${MARK[c.level]} ${said(c)}`),
  );
  if (files) {
    const bytes = files.files.reduce((sum, f) => sum + f.size, 0);
    const state =
      files.files.length === 0
        ? t('cli.noDifference')
        : files.bytesOnWire === 0
          ? t('cli.notSent')
          : t(files.verified ? 'report.sentVerified' : 'report.sentUnverified');
    lines.push(
      '',
      labelled(
        'report.differenceFiles',
        t('cli.differenceLine', {
          count: files.files.length,
          bytes: formatBytes(bytes),
          dir: files.targetDir,
          state,
        }),
      ),
      ...files.files.map((f) => `  ${t(`cli.fileReasons.${f.reason}`).padEnd(8)} ${f.path}`),
    );
  }
  const blockers = [
    ...plan.blockers.map((b) => renderMessage(t, b.text)),
    ...preflight.filter((c) => c.level === 'blocker').map(said),
  ];
  lines.push(
    '',
    t(blockers.length === 0 ? 'compatibility.noBlockers' : 'compatibility.blocked'),
    ...blockers.map((b) => `  XX ${b}`),
  );
  return `${lines.join('\n')}\n`;
}
