// Runs every test file under test/ with Node's test runner and the TypeScript loader.
// Node 20's --test does not expand globs, so the files are listed here.
//
// The whole suite runs as two test runs side by side: the VM boot test (a Debian root made with
// debootstrap, then booted under qemu five times: 14 of the suite's 24 minutes, measured on a
// fresh clone) in one, every other file in the other, one file at a time in each. On two cores
// that is the longer of the two instead of their sum. The boot test's report is printed when
// both are done, so the two never interleave.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files run beside the rest: long, and mostly waiting on qemu, debootstrap and the disk. */
const ALONGSIDE = ['test/vm/boot.test.ts'];

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : findTests(full);
    return /\.test\.tsx?$/.test(name) ? [full] : [];
  });
}

function runTests(files, output) {
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
      stdio: ['ignore', output === 'inherit' ? 'inherit' : 'pipe', 'inherit'],
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
    },
  );
  const chunks = [];
  child.stdout?.on('data', (chunk) => chunks.push(chunk));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ ok: code === 0 && !signal, chunks })),
  );
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : findTests('test').sort();
const alongside = only.length > 0 ? [] : files.filter((file) => ALONGSIDE.includes(file));
const rest = files.filter((file) => !alongside.includes(file));
const started = Date.now();
const [main, side] = await Promise.all([
  runTests(rest, 'inherit'),
  alongside.length > 0 ? runTests(alongside, 'buffer') : Promise.resolve(null),
]);
if (side) {
  process.stdout.write(`\n# --- run beside the others: ${alongside.join(', ')} ---\n`);
  for (const chunk of side.chunks) process.stdout.write(chunk);
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const failed = [main, side].filter((run) => run && !run.ok).length;
process.stdout.write(
  `\n# whole suite: ${minutes} min; ${failed === 0 ? 'every run passed' : `${failed} of the runs failed`}\n`,
);
process.exit(failed === 0 ? 0 : 1);
