import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Language } from '../../shared/i18n/index.ts';
import type { MigrationReport } from '../../shared/report.ts';
import { renderReportHtml } from './report-html.ts';

/** Where a written report is. */
export interface ReportFiles {
  dir: string;
  json: string;
  html: string;
}

/** Writes report.json and report.html (in the given language) into `dir`. */
export async function writeReport(
  report: MigrationReport,
  dir: string,
  language: Language = 'en',
): Promise<ReportFiles> {
  const out = resolve(dir);
  await mkdir(out, { recursive: true });
  const json = join(out, 'report.json');
  const html = join(out, 'report.html');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderReportHtml(report, language));
  return { dir: out, json, html };
}
