import { execFile } from 'node:child_process';
import { pathExists } from '../paths/path-exists.ts';
import { access } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { P2VError } from '../../shared/errors.ts';

/** Browsers that print a page to PDF headless; P2V_CHROMIUM names another. */
const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
];

/** The first Chromium-family browser on this machine, or null. */
export async function findChromium(): Promise<string | null> {
  const wanted = process.env.P2V_CHROMIUM ? [process.env.P2V_CHROMIUM] : CANDIDATES;
  for (const path of wanted) {
    if (await pathExists(path)) return path;
  }
  return null;
}

/**
 * Prints a self-contained HTML report to PDF with a headless Chromium (in the desktop app,
 * Electron's own printToPDF does this instead).
 */
export async function printPdf(htmlFile: string, pdfFile: string): Promise<void> {
  const browser = await findChromium();
  if (!browser)
    throw new P2VError(
      'IO_ERROR',
      'no Chromium or Chrome found to print the PDF: export HTML and print it from a browser, or set P2V_CHROMIUM',
    );
  const args = [
    '--headless',
    '--disable-gpu',
    '--no-pdf-header-footer',
    `--print-to-pdf=${pdfFile}`,
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    pathToFileURL(htmlFile).href,
  ];
  await new Promise<void>((resolve, reject) => {
    execFile(browser, args, { timeout: 60_000 }, (error, _stdout, stderr) => {
      if (error)
        reject(
          new P2VError(
            'IO_ERROR',
            `printing the PDF failed: ${String(stderr).trim() || error.message}`,
          ),
        );
      else resolve();
    });
  });
  await access(pdfFile).catch(() => {
    throw new P2VError('IO_ERROR', 'the browser printed no PDF');
  });
}
