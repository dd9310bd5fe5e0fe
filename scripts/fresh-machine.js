// The newcomer's check (`npm run fresh-machine`, and what CI runs): a clean clone of this
// repository's HEAD in a temp dir, then the two commands at the top of its README exactly as
// written. The first (`npm install && npm start`) must serve the wizard's page and stop on Ctrl+C;
// the second (`npm test`) must pass. Uncommitted changes are not in the clone.
/* global fetch */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
/** How long the start command may take to serve the page: it installs the npm packages first. */
const START_DEADLINE_MS = 10 * 60_000;
/** How long the wizard may take to stop after Ctrl+C (it rolls back a migration it runs). */
const STOP_DEADLINE_MS = 60_000;

/** The README's two commands: the lines of the first shell block, comments and all. */
export function readmeCommands(readme) {
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  const lines = (block ?? '').split('\n').filter((line) => line.trim() !== '');
  const start = lines.find((line) => /\bnpm start\b/.test(line));
  const test = lines.find((line) => line !== start);
  if (lines.length !== 2 || !start || !test)
    throw new Error(
      `the README must open with a sh block of two commands, the app's and the tests': found ${JSON.stringify(lines)}`,
    );
  return { start, test };
}

function say(line) {
  process.stdout.write(`fresh machine: ${line}\n`);
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(0)} s`;
}

/** Runs the start command until it prints the wizard's address; resolves with it and the child. */
function startWizard(command, cwd) {
  // Its own process group: Ctrl+C reaches npm, the start script and the wizard, as in a terminal.
  const child = spawn('bash', ['-c', command], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`no address within ${START_DEADLINE_MS / 60_000} min:\n${output}`));
    }, START_DEADLINE_MS);
    const read = (chunk) => {
      output += chunk;
      const url = /P2V Wizard is at (http\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`it ended (${signal ?? `exit ${code}`}) before serving:\n${output}`));
    });
  });
}

/**
 * Ctrl+C to the start command's whole group, as a terminal sends it; resolves once the wizard no
 * longer answers. npm itself returns at once on Ctrl+C, while the wizard may still be stopping (a
 * migration it runs is rolled back first), so the address is what tells.
 */
async function interrupt(child, url) {
  process.kill(-child.pid, 'SIGINT');
  const deadline = Date.now() + STOP_DEADLINE_MS;
  while (Date.now() < deadline) {
    const answered = await fetch(url).then(
      () => true,
      () => false,
    );
    if (!answered) return;
    await delay(200);
  }
  process.kill(-child.pid, 'SIGKILL');
  throw new Error(`the wizard still answers ${STOP_DEADLINE_MS / 1000} s after Ctrl+C`);
}

export async function checkStart(command, cwd) {
  const began = Date.now();
  say(`$ ${command}`);
  const { child, url } = await startWizard(command, cwd);
  say(`serving after ${seconds(began)}: ${url.replace(/token=[^&]+/, 'token=…')}`);
  const page = await fetch(url);
  const body = await page.text();
  if (page.status !== 200 || !body.includes('<div id="root">'))
    throw new Error(`${url} answered ${page.status} without the wizard's page:\n${body}`);
  await interrupt(child, url);
  say('the wizard page answered 200, and Ctrl+C stopped it');
}

function runTests(command, cwd) {
  const began = Date.now();
  say(`$ ${command}`);
  const result = spawnSync('bash', ['-c', command], { cwd, stdio: 'inherit' });
  say(`the test command ended with ${result.status ?? result.signal} after ${seconds(began)}`);
  return result.status ?? 1;
}

async function main() {
  const commands = readmeCommands(readFileSync(join(root, 'README.md'), 'utf8'));
  const head = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], {
    encoding: 'utf8',
  }).stdout.trim();
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain'], {
    encoding: 'utf8',
  }).stdout;
  if (dirty) say('uncommitted changes here are not in the clone');
  const base = mkdtempSync(join(tmpdir(), 'p2v-fresh-'));
  // mkdtemp makes it 0700; a clone where a newcomer puts it is readable by all, as the tests
  // that run the CLI as another user (nobody, for a file root cannot hide from root) need.
  chmodSync(base, 0o755);
  const clone = join(base, 'p2v-wizard');
  try {
    const cloned = spawnSync('git', ['clone', '--quiet', root, clone], { stdio: 'inherit' });
    if (cloned.status !== 0) throw new Error(`git clone of ${root} failed`);
    say(`a clean clone of ${head} in ${clone}`);
    await checkStart(commands.start, clone);
    return runTests(commands.test, clone);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  main().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`fresh machine: FAILED: ${error.message}\n`);
      process.exit(1);
    },
  );
