// Runs every test file under test/ with Node's test runner and the TypeScript loader.
// Node 20's --test does not expand globs, so the files are listed here. On a full run the files
// that measure with the CPU run at the normal priority, and everything else at once beside them
// in the idle scheduling class (SCHED_IDLE: it gets only the CPU they leave): the other files one
// at a time, the files that mostly wait in a runner of their own, and the VM boot test once its
// Debian root is made (mmdebstrap, niced). Once the files that measure are done, the rest share
// the two cores as equals.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { makeDebianRoot } from './debian-root.js';

const BOOT_TEST = join('test', 'vm', 'boot.test.ts');
/**
 * Files that mostly wait, in a runner of their own beside the boot test and the other files: a
 * cable pulled for 30 s and a flapping link (nearly all waiting), the CLI re-run after a
 * handover (0.65 of a core), the wizard service (0.7) and the wizard in Chromium (0.75; measured
 * alone with time(1)). None asserts a rate or a duration, only events, with limits far above
 * what they take. What they print comes after the boot test's output, as one block.
 */
const BESIDE_BOOT = [
  join('test', 'link', 'link-outage.test.ts'),
  join('test', 'cli', 'cutover-rerun.test.ts'),
  join('test', 'session', 'wizard-service.test.ts'),
  join('test', 'ui', 'wizard-e2e.test.ts'),
];

/**
 * Files that measure what the CPU or the link allows, at the normal priority while everything
 * else runs in the idle class: compression in `auto` keeps the faster way (it failed with
 * link-outage beside it as an equal), the bandwidth limit is checked to 10% of its rate,
 * auto-converge's writer is paced by its own CPU time, stalled-link races two silence limits.
 */
const ALONE = [
  join('test', 'link', 'auto-converge.test.ts'),
  join('test', 'link', 'bandwidth-limit.test.ts'),
  join('test', 'link', 'compression.test.ts'),
  join('test', 'engine', 'stalled-link.test.ts'),
];

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : findTests(full);
    return /\.test\.tsx?$/.test(name) ? [full] : [];
  });
}

/**
 * Runs test files one at a time in a child process; resolves with its exit code. With `heldIn`
 * (a file), what it prints goes there instead of coming out as it goes: a file, not a pipe, so
 * a process a test left behind cannot hold the run open. Each file's time goes to `timesIn`.
 */
function runTests(files, timesIn, env = {}, heldIn = null, idle = false) {
  // Node's runner given no files looks for tests by its own patterns, helpers included.
  if (files.length === 0) return Promise.resolve(0);
  return new Promise((resolve) => {
    const held = heldIn === null ? null : openSync(heldIn, 'w');
    const child = spawn(
      idle ? 'chrt' : process.execPath,
      [
        ...(idle ? ['--idle', '0', process.execPath] : []),
        '--import',
        './scripts/test-loader.js',
        '--test',
        '--test-concurrency=1',
        ...(process.env.TEST_TIMEOUT ? [`--test-timeout=${process.env.TEST_TIMEOUT}`] : []),
        // Naming a reporter replaces the default one, so the default is named too.
        `--test-reporter=${process.stdout.isTTY && heldIn === null ? 'spec' : 'tap'}`,
        '--test-reporter-destination=stdout',
        '--test-reporter=./scripts/file-times-reporter.js',
        `--test-reporter-destination=${timesIn}`,
        ...files,
      ],
      {
        stdio: held === null ? 'inherit' : ['ignore', held, held],
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ...env },
      },
    );
    if (held !== null) closeSync(held);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** The files' times from every run, slowest first: where a newcomer's minutes went. */
function printFileTimes(dir) {
  const rows = readdirSync(dir)
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n'))
    .filter((line) => line.includes('\t'))
    .map((line) => {
      const [seconds, file] = line.split('\t');
      return { seconds: Number(seconds), file: relative(process.cwd(), file) };
    })
    .sort((a, b) => b.seconds - a.seconds);
  const table = rows.map(({ seconds, file }) => `#  ${seconds.toFixed(1).padStart(6)} s  ${file}`);
  process.stdout.write(`\n# test files by time, slowest first\n${table.join('\n')}\n`);
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : findTests('test').sort();
const canDebootstrap =
  process.getuid?.() === 0 &&
  !process.env.P2V_DEBOOTSTRAP_ROOT &&
  spawnSync('sh', ['-c', 'command -v mmdebstrap'], { stdio: 'ignore' }).status === 0;
const canIdle = spawnSync('chrt', ['--idle', '0', 'true'], { stdio: 'ignore' }).status === 0;
const times = mkdtempSync(join(tmpdir(), 'p2v-test-times-'));

if (!files.includes(BOOT_TEST) || files.length === 1 || !canDebootstrap || !canIdle) {
  const code = await runTests(files, join(times, 'all'));
  printFileTimes(times);
  rmSync(times, { recursive: true, force: true });
  process.exit(code);
}

const work = mkdtempSync(join(tmpdir(), 'p2v-debian-'));
const log = join(work, 'mmdebstrap.log');
const root = join(work, 'root');
process.stderr.write(`test setup: mmdebstrap of the boot test's Debian root in ${root}\n`);
const made = makeDebianRoot(root, openSync(log, 'w'));
const beside = files.filter((f) => BESIDE_BOOT.includes(f));
const alone = files.filter((f) => ALONE.includes(f));
const aloneLog = join(work, 'alone.log');
const besideLog = join(work, 'beside-boot.log');
const bootLog = join(work, 'boot.log');
// The files that measure with the CPU, at the normal priority; everything else in the idle
// class, so it takes only what they leave until they are done.
const aloneRun = runTests(alone, join(times, 'alone'), {}, aloneLog);
const rest = runTests(
  files.filter((f) => f !== BOOT_TEST && !beside.includes(f) && !alone.includes(f)),
  join(times, 'others'),
  {},
  null,
  true,
);
const besideRun = runTests(beside, join(times, 'beside'), {}, besideLog, true);
const madeCode = await made;
if (madeCode !== 0)
  process.stderr.write(
    `test setup: mmdebstrap exited ${madeCode} (its log: ${log}); the boot test makes its own root\n`,
  );
const bootRun = runTests(
  [BOOT_TEST],
  join(times, 'boot'),
  madeCode === 0 ? { P2V_DEBOOTSTRAP_ROOT: root } : {},
  bootLog,
  true,
);
const [aloneCode, others, boot, besideCode] = await Promise.all([
  aloneRun,
  rest,
  bootRun,
  besideRun,
]);
for (const [heading, file] of [
  ['measured with the CPU, at the normal priority', aloneLog],
  ['the boot test', bootLog],
  [`files that mostly wait: ${beside.join(' ')}`, besideLog],
])
  process.stdout.write(`\n# ${heading}\n${readFileSync(file, 'utf8')}`);
printFileTimes(times);
rmSync(times, { recursive: true, force: true });
if (madeCode === 0) rmSync(work, { recursive: true, force: true });
process.exit([aloneCode, others, boot, besideCode].find((code) => code !== 0) ?? 0);
