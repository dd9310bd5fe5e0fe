import { renderMessage } from '../../shared/i18n/render-message.ts';
import type { TFunction } from 'i18next';
import { formatBytes, formatDuration, formatTime } from '../../shared/format.ts';
import type { Language } from '../../shared/i18n/index.ts';
import { translator } from '../../shared/i18n/translator.ts';
import type { MigrationReport } from '../../shared/report.ts';
import { layoutRoundsChart } from '../../shared/rounds-chart.ts';
import { renderVmHtml } from './vm-html.ts';
import { renderCheckHtml } from './check-html.ts';
import { escape, keyValueTable, table } from './html-parts.ts';

/** An inline SVG bar chart of dirty bytes per round, so the page needs nothing from outside. */
export function roundsChart(report: MigrationReport, t: TFunction = translator('en')): string {
  if (report.rounds.length === 0) return `<p>${escape(t('report.noRounds'))}</p>`;
  const chart = layoutRoundsChart(report.rounds, { width: 640, height: 200, pad: 40 });
  const n = (value: number): string => value.toFixed(1);
  const bars = chart.bars
    .map(
      (bar) =>
        `<rect x="${n(bar.x)}" y="${n(bar.y)}" width="${n(bar.width)}" height="${n(bar.height)}" fill="${bar.fill}">` +
        `<title>${escape(t('sync.round', { n: bar.round }))}: ${escape(formatBytes(bar.dirtyBytes))}</title></rect>` +
        `<text x="${n(bar.labelX)}" y="${chart.baseline + 14}" font-size="11" text-anchor="middle">${bar.round}</text>` +
        (bar.throttle
          ? `<text x="${n(bar.labelX)}" y="${n(bar.y - 4)}" font-size="10" text-anchor="middle" fill="#b91c1c"><title>${escape(t('sync.throttled', { level: bar.throttle }))}</title>−${bar.throttle}%</text>`
          : ''),
    )
    .join('');
  return (
    `<svg role="img" aria-label="${escape(t('report.chartLabel'))}" viewBox="0 0 ${chart.width} ${chart.height}" width="${chart.width}" height="${chart.height}" xmlns="http://www.w3.org/2000/svg">` +
    `<line x1="${chart.pad}" y1="${chart.baseline}" x2="${chart.width - chart.pad}" y2="${chart.baseline}" stroke="#555"/>` +
    `<text x="${chart.pad}" y="${chart.pad - 10}" font-size="11">${escape(formatBytes(chart.max))}</text>` +
    `${bars}<text x="${chart.width / 2}" y="${chart.height - 5}" font-size="11" text-anchor="middle">${escape(t('report.chartAxis'))}</text></svg>`
  );
}

/**
 * The report as one self-contained HTML page in the technician's language, that also prints
 * well to PDF. The CLI and the wizard both write it through here.
 */
export function renderReportHtml(report: MigrationReport, language: Language = 'en'): string {
  const t = translator(language);
  const copy = report.copy;
  const summary: string[][] = [
    [
      t('report.result'),
      report.ok
        ? t('report.handedOver')
        : t('report.failed', { message: report.error?.message ?? '?' }),
    ],
    [t('report.started'), formatTime(report.startedAt)],
    [t('report.finished'), report.finishedAt ? formatTime(report.finishedAt) : '—'],
    [t('report.sourceMachine'), `${report.source.hostname} (${report.source.platform})`],
    [
      t('report.targetAgent'),
      t('report.targetAgentValue', {
        hostname: report.target.hostname ?? '?',
        address: `${report.target.host}:${report.target.port}`,
      }),
    ],
    [t('report.certificate'), report.target.fingerprint],
    [
      t('report.downtime'),
      report.cutover.downtimeMs === null ? '—' : formatDuration(report.cutover.downtimeMs, t),
    ],
  ];
  const predicted = report.convergence?.predictedParts;
  const measured = report.cutover.measuredParts;
  if (predicted && measured && report.convergence && report.cutover.downtimeMs !== null) {
    summary.push([
      t('report.downtimeParts'),
      t('report.downtimePartsValue', {
        predicted: formatDuration(report.convergence.predictedDowntimeMs, t),
        measured: formatDuration(report.cutover.downtimeMs, t),
        round: formatDuration(measured.roundMs, t),
        rescan: formatDuration(measured.rescanMs, t),
        mirror: formatDuration(measured.mirrorMs, t),
        verify: formatDuration(measured.verifyMs, t),
        roundP: formatDuration(predicted.roundMs, t),
        rescanP: formatDuration(predicted.rescanMs, t),
        mirrorP: formatDuration(predicted.mirrorMs, t),
        verifyP: formatDuration(predicted.verifyMs, t),
        stop: formatDuration(report.cutover.programMs?.stopMs ?? 0, t),
        start: formatDuration(report.cutover.programMs?.startMs ?? 0, t),
      }),
    ]);
  }
  if (copy) {
    summary.push(
      [
        t('report.fullCopy'),
        t('report.fullCopyValue', {
          files: copy.files,
          bytes: formatBytes(copy.scannedBytes),
          time: formatDuration(copy.durationMs, t),
        }) +
          (copy.known
            ? t('report.knownUnread', {
                files: copy.known.files,
                bytes: formatBytes(copy.known.bytes),
              })
            : '') +
          (copy.resumed ? t('report.resumed') : ''),
      ],
      [t('report.wireCopy'), formatBytes(copy.wireBytes)],
    );
  }
  if (report.notCopied && report.notCopied.count > 0)
    summary.push([
      t('report.notCopied'),
      `${t('notCopied.summary', { count: report.notCopied.count })} ${report.notCopied.paths
        .map((p) => `${p.path} (${t(`notCopied.reasons.${p.reason}`, { defaultValue: p.reason })})`)
        .join(', ')}`,
    ]);
  const transfer = report.transfer;
  if (transfer && transfer.dataBytes > 0)
    summary.push([
      t('report.transfer'),
      t('report.transferValue', {
        data: formatBytes(transfer.dataBytes),
        sent: formatBytes(transfer.sentBytes),
        percent: Math.round((transfer.sentBytes / transfer.dataBytes) * 100),
        mode: t(`report.compression.${transfer.compression}`),
        limit:
          transfer.bandwidthLimit === null
            ? t('report.noLimit')
            : `${Number(((transfer.bandwidthLimit * 8) / 1e6).toPrecision(3))} Mbit/s`,
      }),
    ]);
  if (report.verification) {
    const v = report.verification;
    summary.push([
      t('report.verification'),
      t('report.verificationValue', {
        result: v.ok ? t('done.passed') : t('done.failedShort'),
        files: v.files,
        mode: v.mode,
        time: formatDuration(v.durationMs, t),
      }),
    ]);
  }
  const c = (key: string): string => t(`report.roundCols.${key}`);
  const rounds = table(
    [
      'round',
      'duration',
      'dirtyFiles',
      'compared',
      'dirtyBytes',
      'wire',
      'deleted',
      'afterStop',
    ].map(c),
    report.rounds.map((r) => [
      String(r.round),
      formatDuration(r.durationMs, t),
      String(r.dirtyFiles),
      formatBytes(r.scannedBytes),
      formatBytes(r.dirtyBytes),
      formatBytes(r.wireBytes),
      String(r.deleted),
      r.final ? t('report.yes') : t('report.no'),
    ]),
  );
  const timeline = table(
    [t('report.time'), t('report.step'), t('report.detail')],
    report.cutover.timeline.map((s) => [
      formatTime(s.at),
      t(`stepsTimeline.${s.step}`),
      s.said ? renderMessage(t, s.said) : (s.detail ?? ''),
    ]),
  );
  const sources = table(
    [t('report.sourceFolder'), t('report.onTarget')],
    report.source.sources.map((s) => [s.dir, s.target]),
  );
  const warnings =
    report.warnings.length === 0
      ? `<p>${escape(t('report.none'))}</p>`
      : `<ul>${report.warnings
          .slice(0, 500)
          .map((w) => `<li>${escape(w.said ? renderMessage(t, w.said) : w.message)}</li>`)
          .join('')}</ul>`;
  const list = (key: string, paths: string[] | undefined): string =>
    paths?.length
      ? `<h2>${escape(t(key))}</h2><ul>${paths.map((m) => `<li>${escape(m)}</li>`).join('')}</ul>`
      : '';
  const mismatches =
    list('report.differ', report.verification?.mismatches) +
    list('report.resent', report.verification?.resent);
  const status = report.ok ? t('report.completed') : t('report.notCompleted');
  return `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escape(t('report.title', { host: report.source.hostname }))}</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;margin:2rem;color:#111;max-width:60rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1rem}
pre{white-space:pre-wrap;word-break:break-all;font-size:.8rem;background:#f6f6f6;padding:.5rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}td{overflow-wrap:anywhere}
th{background:#eef}.summary th{width:14rem;font-weight:600}.ok{color:#166534}.bad{color:#991b1b}
@media print{body{margin:0}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
</style></head><body>
<h1 class="${report.ok ? 'ok' : 'bad'}">${escape(status)}</h1>
<p>${escape(t('report.byline', { id: report.id, tool: report.tool.name, version: report.tool.version }))}</p>
<h2>${escape(t('report.summary'))}</h2>${keyValueTable(summary)}
${report.check ? renderCheckHtml(report.check, t) : ''}
${report.vm ? renderVmHtml(report.vm, report.cutover.downtimeMs, t) : ''}
<h2>${escape(t('report.moved'))}</h2>${sources}
<h2>${escape(t('report.rounds'))}</h2>${roundsChart(report, t)}${rounds}
<h2>${escape(t('report.timeline'))}</h2>${timeline}
${mismatches}
<h2>${escape(t('report.warnings'))}</h2>${warnings}
</body></html>
`;
}
