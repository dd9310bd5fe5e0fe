import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the test process exits. */
export async function tempDir(prefix = 'p2v-test-', parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, prefix));
  made.add(dir);
  return dir;
}
