import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { shellQuote } from '../../engine/shell-command.ts';
import { P2V_BIN, startAgentProcess, type AgentProcess } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const CHROMIUM = process.env.P2V_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));
const writer = fileURLToPath(new URL('../helpers/sqlite-writer.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const AXE = fileURLToPath(import.meta.resolve('axe-core/axe.min.js'));

/** Starts `p2v ui` as a technician would and resolves with its address. */
async function startUi(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [P2V_BIN, 'ui', '--json', '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  // A `p2v ui` that fails to start fails the test with what it said, instead of a wait.
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('close', (code) => reject(new Error(`p2v ui exited ${code}: ${stderr}`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

describe(
  'the wizard in browser mode, driven in Chromium through a whole migration',
  {
    skip:
      !existsSync(CHROMIUM) &&
      `SKIPPED LOUDLY: no Chromium at ${CHROMIUM} (apt-get install chromium)`,
  },
  () => {
    let base: string;
    let source: string;
    let agent: AgentProcess;
    let ui: { child: ChildProcess; url: string };
    let browser: Browser;
    let page: Page;
    let writerProcess: ChildProcess;
    let logPath: string;

    /** WCAG 2 A and AA rules checked by axe-core on the current screen; none may fail. */
    const checkAccessibility = async (name: string): Promise<void> => {
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async () => {
        type Axe = {
          run(options: object): Promise<{ violations: { id: string; nodes: unknown[] }[] }>;
        };
        const axe = (globalThis as unknown as { axe: Axe }).axe;
        const result = await axe.run({ runOnly: ['wcag2a', 'wcag2aa'] });
        return result.violations.map((v) => `${v.id} (${v.nodes.length})`);
      });
      assert.deepEqual(violations, [], `accessibility of ${name}`);
    };

    /** A laptop's screen and a small one. */
    const SIZES = [
      { width: 1280, height: 800 },
      { width: 1024, height: 640 },
    ];
    /** The step in both languages, checked by axe, and shot at each size as test output. */
    const shoot = async (name: string): Promise<void> => {
      for (const language of ['en', 'zh-CN']) {
        await page.locator('header select').selectOption(language);
        await checkAccessibility(`${name} (${language})`);
        for (const size of SIZES) {
          await page.setViewportSize(size);
          await page.screenshot({
            path: join(SHOTS, `${name}.${language}.${size.width}x${size.height}.png`),
            fullPage: true,
          });
        }
      }
      await page.locator('header select').selectOption('en');
      await page.setViewportSize(SIZES[0] as (typeof SIZES)[number]);
    };
    const step = (name: string) => page.locator(`main[data-step="${name}"]`);

    before(async () => {
      await mkdir(SHOTS, { recursive: true });
      base = await tempDir();
      source = join(base, 'source');
      const appDir = join(source, 'var/lib/app');
      await mkdir(appDir, { recursive: true });
      for (let i = 0; i < 20; i++)
        await writeFile(join(source, `blob${i}`), randomBytes(1024 * 1024));
      logPath = join(appDir, 'committed.log');
      writerProcess = spawn(
        process.execPath,
        ['--import', 'tsx', writer, join(appDir, 'app.db'), '--write', logPath],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      await new Promise((resolve) =>
        createInterface({ input: writerProcess.stdout as NodeJS.ReadableStream }).once(
          'line',
          resolve,
        ),
      );
      const check = `${shellQuote(process.execPath)} --import ${shellQuote(tsx)} ${shellQuote(writer)} var/lib/app/app.db --check`;
      agent = await startAgentProcess([
        '--root',
        join(base, 'target'),
        '--state',
        join(base, 'agent-state'),
        '--on-handover',
        check,
      ]);
      ui = await startUi(join(base, 'wizard-data'));
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
      });
      // CSP is bypassed only so the test can inject axe-core; the app itself runs under it.
      page = await browser.newPage({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    });
    after(async () => {
      writerProcess.kill('SIGKILL');
      await browser?.close();
      ui?.child.kill('SIGTERM');
      await agent?.stop();
    });

    it('goes from Machine to Done with every screen checked, in English and Chinese', async () => {
      const release = await readFile('/etc/os-release', 'utf8');
      const pretty = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(release)?.[1] ?? '';

      await page.goto(ui.url);
      await assert.doesNotReject(step('machine').waitFor());
      assert.equal(await page.getByTestId('machine-os').textContent(), pretty);
      assert.ok(
        await page
          .locator('header img.logo')
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
        'the app icon is served and shown in the header',
      );
      await shoot('1-machine');
      await page.getByRole('button', { name: 'Next' }).click();

      await step('target').waitFor();
      await page.getByLabel('Agent address').fill(agent.host);
      await page.getByLabel('Port').fill(String(agent.port));
      await page.getByLabel('Pairing token').fill('wrong-token');
      await page.getByLabel('Certificate fingerprint (SHA-256)').fill(agent.fingerprint);
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page.getByRole('alert').getByText('refused the pairing token').waitFor();
      await page.getByLabel('Pairing token').fill(agent.token);
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page.getByTestId('target-connected').waitFor();
      assert.ok(
        await page.getByRole('button', { name: 'Next' }).isDisabled(),
        'not before the fingerprint is confirmed',
      );
      await page.getByLabel('I compared this fingerprint').check();
      await shoot('2-target');
      await page.getByRole('button', { name: 'Next' }).click();

      await step('compatibility').waitFor();
      await page.getByLabel('VM profile').selectOption('kvm-virtio');
      await page.getByRole('button', { name: 'Check' }).click();
      const result = page.getByTestId('check-result');
      await result.waitFor();
      assert.match((await result.textContent()) ?? '', /virtio_blk/);
      assert.match((await result.textContent()) ?? '', /Pre-flight checks/);
      await shoot('3-compatibility');
      await page.getByRole('button', { name: 'Next' }).click();

      await step('selection').waitFor();
      // A one-weight Chinese font draws a semi-bold label's Latin runs bold and its Chinese not.
      const labelWeight = () =>
        page
          .locator('form label:has(textarea)')
          .first()
          .evaluate((label) => getComputedStyle(label).fontWeight);
      assert.equal(await labelWeight(), '600');
      await page.locator('header select').selectOption('zh-CN');
      assert.equal(await labelWeight(), '400', 'Chinese labels at one weight');
      await page.locator('header select').selectOption('en');
      await page.getByLabel('Folders to move').fill(`${source}:/`);
      await page.getByLabel('Leave out /proc').uncheck();
      assert.match(
        (await page.getByTestId('start-command').textContent()) ?? '',
        /sqlite-writer\.ts/,
      );
      await page.getByRole('button', { name: 'Measure' }).click();
      // The 20 MiB of blobs and a database that grows for as long as the test runs.
      const selected = (await page.getByTestId('selected-bytes').textContent()) ?? '';
      const mib = Number(/Selected: (\d+\.\d) MiB/.exec(selected)?.[1]);
      assert.ok(mib >= 20 && mib < 1024, `the selection is measured: ${selected}`);
      const stop = `kill -TERM ${writerProcess.pid} && tail --pid=${writerProcess.pid} -s 0.02 -f /dev/null`;
      await page.getByLabel('Program to stop at cutover').fill(stop);
      await shoot('4-selection');
      await page.getByRole('button', { name: 'Review and start…' }).click();
      await step('summary').waitFor();
      assert.match(
        (await page.getByTestId('summary').textContent()) ?? '',
        new RegExp(`Stopped at cutover.*kill -TERM ${writerProcess.pid}`),
      );
      await shoot('4b-summary');
      await page.getByRole('button', { name: 'Start migration' }).click();

      await step('copy').waitFor();
      await page.getByRole('progressbar').waitFor();
      await shoot('5-copy');

      await step('sync').waitFor({ timeout: 120_000 });
      await page.getByTestId('converged').waitFor({ timeout: 120_000 });
      // A reload in the middle of the migration comes back to where it is, rounds and all.
      const barsBefore = await page.locator('.chart rect').count();
      await page.reload();
      await step('sync').waitFor();
      await page.getByTestId('predicted').waitFor();
      const barsAfter = await page.locator('.chart rect').count();
      assert.ok(
        barsAfter >= barsBefore,
        `${barsAfter} rounds after the reload, ${barsBefore} before`,
      );
      await page.getByTestId('converged').waitFor({ timeout: 60_000 });
      await shoot('6-sync');
      await page.getByRole('button', { name: 'Cut over…' }).click();

      await step('cutover').waitFor();
      const dialog = page.getByRole('alertdialog');
      assert.match(
        (await dialog.textContent()) ?? '',
        new RegExp(`kill -TERM ${writerProcess.pid}`),
      );
      assert.match((await dialog.textContent()) ?? '', /Predicted downtime/);
      await shoot('7-cutover');
      await dialog.getByRole('button', { name: 'Stop and cut over' }).click();

      await step('done').waitFor({ timeout: 120_000 });
      assert.equal(
        await page.getByTestId('done-result').textContent(),
        'The migration completed and the target took over.',
      );
      await page.getByTestId('downtime').waitFor();
      assert.match((await page.getByTestId('verification').textContent()) ?? '', /passed/);
      await page.getByRole('button', { name: 'HTML' }).click();
      const saved = ((await page.getByTestId('saved-path').textContent()) ?? '').replace(
        /^Saved: /,
        '',
      );
      const html = await readFile(saved, 'utf8');
      // Browser mode: the browser gets the file too, from the wizard's own server.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download it' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'report.html');
      assert.equal(await readFile((await download.path()) as string, 'utf8'), html);
      assert.ok(html.includes('<h1 class="ok">Migration completed</h1>'), 'the report’s title');
      assert.ok(html.includes('Program started on the target'), 'the report’s timeline');
      await shoot('8-done');

      await page.locator('header select').selectOption('zh-CN');
      await page.getByRole('button', { name: 'HTML' }).click();
      await page.getByTestId('saved').getByText('已保存').waitFor();
      assert.ok(
        (await readFile(saved, 'utf8')).includes('<h1 class="ok">迁移完成</h1>'),
        'the report exported again, in Chinese',
      );

      // The program stopped at the cutover; on the target it finds every committed row.
      const logged = (await readFile(logPath, 'utf8')).trim().split('\n');
      const copy = new Database(join(base, 'target', 'var/lib/app/app.db'), { readonly: true });
      try {
        assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
        const { top } = copy.prepare('SELECT max(id) AS top FROM events').get() as { top: number };
        assert.ok(
          top >= Number(logged.at(-1)),
          `row ${top} on the target, ${logged.at(-1)} logged`,
        );
      } finally {
        copy.close();
      }
    });
  },
);
