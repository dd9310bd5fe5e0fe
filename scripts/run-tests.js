// Runs every test file under test/ with Node's test runner and the TypeScript loader.
// Node 20's --test does not expand globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : findTests(full);
    return /\.test\.tsx?$/.test(name) ? [full] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : findTests('test').sort();
const result = spawnSync(
  process.execPath,
  [
    '--import',
    './scripts/test-loader.js',
    '--test',
    '--test-concurrency=1',
    ...(process.env.TEST_TIMEOUT ? [`--test-timeout=${process.env.TEST_TIMEOUT}`] : []),
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
);
process.exit(result.status ?? 1);
