import type { TFunction } from 'i18next';
import { formatBytes, formatDuration } from '../../shared/format.ts';
import type { VmReport } from '../../shared/report.ts';
import { shellQuote } from '../shell-command.ts';
import { escape, keyValueTable } from './html-parts.ts';

/** The VM the target built and booted: its image, how it started, its definition, its handover. */
export function renderVmHtml(vm: VmReport, downtimeMs: number | null, t: TFunction): string {
  const facts = keyValueTable([
    [
      t('report.vm.image'),
      t('report.vm.imageValue', {
        path: vm.image.path,
        format: vm.image.format,
        size: formatBytes(vm.image.virtualBytes),
        file: formatBytes(vm.image.fileBytes),
      }),
    ],
    [t('report.vm.checksum'), `XXH3-128 ${vm.image.hash}`],
    [t('report.vm.boot'), t(`report.vm.boots.${vm.boot}`)],
    [
      t('report.vm.ready'),
      t('report.vm.readyValue', {
        total: formatDuration(vm.readyMs, t),
        build: formatDuration(vm.image.durationMs, t),
        boot: formatDuration(vm.bootMs, t),
      }),
    ],
    [t('report.vm.confirmation'), vm.bootConfirmation],
    ...(vm.initramfs
      ? [
          [
            t('report.vm.initramfs'),
            t('report.vm.initramfsValue', {
              command: vm.initramfs.command,
              files: vm.initramfs.changed.join(', '),
            }),
          ],
        ]
      : []),
    ...(vm.check
      ? [
          [
            t('report.vm.check'),
            t('report.vm.checkValue', {
              files: vm.check.files,
              duration: formatDuration(vm.check.durationMs, t),
              differing:
                vm.check.differing.length > 0
                  ? vm.check.differing.join(', ')
                  : t('report.vm.checkNone'),
            }),
          ],
        ]
      : []),
    [
      t('report.vm.agent'),
      `${vm.agent.hostname ?? '?'} — ${vm.agent.host}:${vm.agent.port} (${vm.agent.fingerprint})`,
    ],
    [t('report.vm.programStarted'), downtimeMs === null ? '—' : formatDuration(downtimeMs, t)],
    [t('report.vm.console'), vm.serialLog],
    [t('report.vm.process'), String(vm.pid)],
  ]);
  return `<h2>${escape(t('report.vm.title'))}</h2>${facts}
<h3>${escape(t('report.vm.command'))}</h3><pre>${escape(vm.command.map(shellQuote).join(' '))}</pre>
<h3>${escape(t('report.vm.definition'))}</h3><pre>${escape(vm.domainXml)}</pre>`;
}
