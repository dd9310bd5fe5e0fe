// Runs every test file under test/ with Node's test runner and the TypeScript loader.
// Node 20's --test does not expand globs, so the files are listed here. On a full run the VM
// boot test's Debian root is made with debootstrap while the other files run (it is mostly
// downloads), and the boot test runs last, on that root.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDebianRoot } from './debian-root.js';

const BOOT_TEST = join('test', 'vm', 'boot.test.ts');
/**
 * Files that mostly wait (a cable pulled for 30 s, a link flapping), on a shaped link of their
 * own: on a full run they go beside the others, and what they print comes after them as one block.
 * Alone they take about a minute, nearly all of it waiting.
 */
const BESIDE = [join('test', 'link', 'link-outage.test.ts')];

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : findTests(full);
    return /\.test\.tsx?$/.test(name) ? [full] : [];
  });
}

/**
 * Runs test files one at a time in a child process; resolves with its exit code (and, with
 * `held`, what it printed, instead of printing it as it comes).
 */
function runTests(files, env = {}, held = false) {
  return new Promise((resolve) => {
    const output = [];
    const child = spawn(
      process.execPath,
      [
        '--import',
        './scripts/test-loader.js',
        '--test',
        '--test-concurrency=1',
        ...(process.env.TEST_TIMEOUT ? [`--test-timeout=${process.env.TEST_TIMEOUT}`] : []),
        ...files,
      ],
      {
        stdio: held ? ['ignore', 'pipe', 'pipe'] : 'inherit',
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ...env },
      },
    );
    if (held)
      for (const stream of [child.stdout, child.stderr]) stream.on('data', (c) => output.push(c));
    child.once('close', (code) => resolve(held ? { code: code ?? 1, output } : (code ?? 1)));
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : findTests('test').sort();
const canDebootstrap =
  process.getuid?.() === 0 &&
  !process.env.P2V_DEBOOTSTRAP_ROOT &&
  spawnSync('sh', ['-c', 'command -v debootstrap'], { stdio: 'ignore' }).status === 0;

if (!files.includes(BOOT_TEST) || files.length === 1 || !canDebootstrap) {
  process.exit(await runTests(files));
}

const work = mkdtempSync(join(tmpdir(), 'p2v-debian-'));
const log = join(work, 'debootstrap.log');
const root = join(work, 'root');
process.stderr.write(`test setup: debootstrap of the boot test's Debian root in ${root}\n`);
const made = makeDebianRoot(root, openSync(log, 'w'));
const besideFiles = files.filter((f) => BESIDE.includes(f));
const beside = besideFiles.length > 0 ? runTests(besideFiles, {}, true) : { code: 0, output: [] };
const sequence = await runTests(files.filter((f) => f !== BOOT_TEST && !BESIDE.includes(f)));
const besideRun = await beside;
process.stdout.write(
  `\n# run beside the others: ${besideFiles.join(' ')}\n${Buffer.concat(besideRun.output).toString()}`,
);
const others = sequence !== 0 ? sequence : besideRun.code;
const madeCode = await made;
if (madeCode !== 0)
  process.stderr.write(
    `test setup: debootstrap exited ${madeCode} (its log: ${log}); the boot test makes its own root\n`,
  );
const boot = await runTests([BOOT_TEST], madeCode === 0 ? { P2V_DEBOOTSTRAP_ROOT: root } : {});
if (madeCode === 0) rmSync(work, { recursive: true, force: true });
process.exit(others !== 0 ? others : boot);
