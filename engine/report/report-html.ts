import type { MigrationReport } from '../../shared/report.ts';
import { renderCheckHtml } from './check-html.ts';
import { formatBytes, formatDuration } from './format.ts';
import { escape, keyValueTable, table } from './html-parts.ts';

/** An inline SVG bar chart of dirty bytes per round, so the page needs nothing from outside. */
export function roundsChart(report: MigrationReport): string {
  const rounds = report.rounds;
  if (rounds.length === 0) return '<p>No delta rounds ran.</p>';
  const width = 640;
  const height = 200;
  const pad = 40;
  const max = Math.max(1, ...rounds.map((r) => r.dirtyBytes));
  const barWidth = (width - pad * 2) / rounds.length;
  const bars = rounds
    .map((r, i) => {
      const h = ((height - pad * 2) * r.dirtyBytes) / max;
      const x = pad + i * barWidth + barWidth * 0.1;
      const y = height - pad - h;
      const fill = r.final ? '#b45309' : '#1d4ed8';
      return (
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth * 0.8).toFixed(1)}" height="${h.toFixed(1)}" fill="${fill}">` +
        `<title>Round ${r.round}: ${escape(formatBytes(r.dirtyBytes))}</title></rect>` +
        `<text x="${(x + barWidth * 0.4).toFixed(1)}" y="${height - pad + 14}" font-size="11" text-anchor="middle">${r.round}</text>`
      );
    })
    .join('');
  return (
    `<svg role="img" aria-label="Dirty data per round" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#555"/>` +
    `<text x="${pad}" y="${pad - 10}" font-size="11">${escape(formatBytes(max))}</text>` +
    `${bars}<text x="${width / 2}" y="${height - 5}" font-size="11" text-anchor="middle">round (orange: after the stop)</text></svg>`
  );
}

/** The report as one self-contained HTML page that also prints well to PDF. */
export function renderReportHtml(report: MigrationReport): string {
  const status = report.ok ? 'Migration completed' : 'Migration did not complete';
  const copy = report.copy;
  const summary: string[][] = [
    ['Result', report.ok ? 'Handed over' : `Failed: ${report.error?.message ?? 'unknown'}`],
    ['Started', report.startedAt],
    ['Finished', report.finishedAt ?? '—'],
    ['Source machine', `${report.source.hostname} (${report.source.platform})`],
    [
      'Target agent',
      `${report.target.hostname ?? '?'} at ${report.target.host}:${report.target.port}`,
    ],
    ['Target certificate', report.target.fingerprint],
    [
      'Downtime',
      report.cutover.downtimeMs === null ? '—' : formatDuration(report.cutover.downtimeMs),
    ],
  ];
  if (copy) {
    summary.push(
      [
        'Full copy',
        `${copy.files} files, ${formatBytes(copy.scannedBytes)} in ${formatDuration(copy.durationMs)}${copy.resumed ? ' (resumed)' : ''}`,
      ],
      ['Bytes on the wire (copy)', formatBytes(copy.wireBytes)],
    );
  }
  if (report.verification) {
    const v = report.verification;
    summary.push([
      'Verification',
      `${v.ok ? 'passed' : 'FAILED'}: ${v.files} files compared by whole-file checksum (${v.mode}) in ${formatDuration(v.durationMs)}`,
    ]);
  }
  const rounds = table(
    [
      'Round',
      'Duration',
      'Dirty files',
      'Bytes compared',
      'Dirty bytes',
      'On the wire',
      'Deleted',
      'After stop',
    ],
    report.rounds.map((r) => [
      String(r.round),
      formatDuration(r.durationMs),
      String(r.dirtyFiles),
      formatBytes(r.scannedBytes),
      formatBytes(r.dirtyBytes),
      formatBytes(r.wireBytes),
      String(r.deleted),
      r.final ? 'yes' : 'no',
    ]),
  );
  const timeline = table(
    ['Time', 'Step', 'Detail'],
    report.cutover.timeline.map((t) => [t.at, t.step, t.detail ?? '']),
  );
  const sources = table(
    ['Source folder', 'On the target'],
    report.source.sources.map((s) => [s.dir, s.target]),
  );
  const warnings =
    report.warnings.length === 0
      ? '<p>None.</p>'
      : `<ul>${report.warnings
          .slice(0, 500)
          .map((w) => `<li>${escape(w.message)}</li>`)
          .join('')}</ul>`;
  const mismatches = report.verification?.mismatches.length
    ? `<h2>Files that differ</h2><ul>${report.verification.mismatches.map((m) => `<li>${escape(m)}</li>`).join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>P2V migration report — ${escape(report.source.hostname)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111;max-width:60rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left}
th{background:#eef}.summary th{width:14rem;font-weight:600}.ok{color:#166534}.bad{color:#991b1b}
@media print{body{margin:0}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
</style></head><body>
<h1 class="${report.ok ? 'ok' : 'bad'}">${escape(status)}</h1>
<p>Report ${escape(report.id)} by ${escape(report.tool.name)} ${escape(report.tool.version)}</p>
<h2>Summary</h2>${keyValueTable(summary)}
${report.check ? renderCheckHtml(report.check) : ''}
<h2>What was moved</h2>${sources}
<h2>Delta rounds</h2>${roundsChart(report)}${rounds}
<h2>Cutover timeline</h2>${timeline}
${mismatches}
<h2>Warnings</h2>${warnings}
</body></html>
`;
}
