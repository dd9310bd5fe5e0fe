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

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : findTests(full);
    return /\.test\.tsx?$/.test(name) ? [full] : [];
  });
}

/** Runs test files one at a time in a child process; resolves with its exit code. */
function runTests(files, env = {}) {
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
        stdio: 'inherit',
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ...env },
      },
    );
    child.once('exit', (code) => resolve(code ?? 1));
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
const others = await runTests(files.filter((f) => f !== BOOT_TEST));
const madeCode = await made;
if (madeCode !== 0)
  process.stderr.write(
    `test setup: debootstrap exited ${madeCode} (its log: ${log}); the boot test makes its own root\n`,
  );
const boot = await runTests([BOOT_TEST], madeCode === 0 ? { P2V_DEBOOTSTRAP_ROOT: root } : {});
if (madeCode === 0) rmSync(work, { recursive: true, force: true });
process.exit(others !== 0 ? others : boot);
