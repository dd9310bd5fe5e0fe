// Runs every test file under test/ with Node's test runner and the TypeScript loader.
// Node 20's --test does not expand globs, so the files are listed here. On a full run the VM
// boot test's Debian root is made with debootstrap while the other files run (it is mostly
// downloads), and the boot test starts on that root as soon as it is made (and the shaped-link
// files are done), beside the other files: it is the longest file by far, and running it after
// them made the suite their sum.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { makeDebianRoot } from './debian-root.js';

const BOOT_TEST = join('test', 'vm', 'boot.test.ts');
const PACED_TESTS = join('test', 'link') + '/';

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : findTests(full);
    return /\.test\.tsx?$/.test(name) ? [full] : [];
  });
}

/**
 * Runs test files one at a time in a child process; resolves with its exit code. With `prefix`,
 * its output goes through line by line behind that prefix, so two runs side by side stay readable.
 */
function runTests(files, env = {}, prefix = '') {
  // With no files, Node's runner would look for tests everywhere itself.
  if (files.length === 0) return Promise.resolve(0);
  return new Promise((resolve) => {
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
        stdio: prefix ? ['ignore', 'pipe', 'pipe'] : 'inherit',
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ...env },
      },
    );
    if (prefix) {
      for (const [from, to] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ]) {
        createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) =>
          to.write(`${prefix}${line}\n`),
        );
      }
    }
    child.once('close', (code) => resolve(code ?? 1));
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
// The shaped-link files measure rates and a writer whose pace is its CPU: they run first, while
// debootstrap (mostly downloads) makes the root, and never beside the boot test's emulated CPU,
// which slowed that writer below the link in a clean-clone run and failed two auto-converge tests.
const others = files.filter((f) => f !== BOOT_TEST);
const paced = others.filter((f) => f.startsWith(PACED_TESTS));
const pacedDone = runTests(paced);
const booted = Promise.all([makeDebianRoot(root, openSync(log, 'w')), pacedDone]).then(
  async ([madeCode]) => {
    if (madeCode !== 0)
      process.stderr.write(
        `test setup: debootstrap exited ${madeCode} (its log: ${log}); the boot test makes its own root\n`,
      );
    else
      process.stderr.write(
        `test setup: Debian root made; the boot test starts beside the others\n`,
      );
    const code = await runTests(
      [BOOT_TEST],
      madeCode === 0 ? { P2V_DEBOOTSTRAP_ROOT: root } : {},
      'boot test | ',
    );
    if (madeCode === 0) rmSync(work, { recursive: true, force: true });
    return code;
  },
);
const pacedCode = await pacedDone;
const restCode = await runTests(others.filter((f) => !paced.includes(f)));
const boot = await booted;
process.exit([pacedCode, restCode, boot].find((code) => code !== 0) ?? 0);
