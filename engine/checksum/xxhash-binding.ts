import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sea from 'node:sea';
import type * as XXHashAddon from 'xxhash-addon';

/** The name the one-file agent carries the native xxhash addon under (scripts/build-agent.js). */
export const XXHASH_ASSET = 'xxhash-addon.node';

/**
 * The xxhash-addon module. In the one-file agent (a Node single executable application) the
 * native addon travels as an asset; a native library loads only from a file, so it is written
 * to a fresh private folder (never a shared, guessable path another user could plant a library
 * in), loaded with process.dlopen, and removed at once.
 */
export function loadXXHash(): typeof XXHashAddon {
  if (!sea.isSea()) {
    const require = createRequire(import.meta.url);
    return require('xxhash-addon') as typeof XXHashAddon;
  }
  const dir = mkdtempSync(join(tmpdir(), 'p2v-agent-'));
  try {
    const file = join(dir, XXHASH_ASSET);
    writeFileSync(file, new Uint8Array(sea.getRawAsset(XXHASH_ASSET) as ArrayBuffer), {
      mode: 0o500,
    });
    const module = { exports: {} as typeof XXHashAddon };
    process.dlopen(module, file);
    return module.exports;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
