import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sea from 'node:sea';

/**
 * A native addon, from its npm package, or in the one-file agent (a Node single executable
 * application) from the asset it travels as (scripts/build-agent.js). A native library loads
 * only from a file, so the asset is written to a fresh private folder (never a shared, guessable
 * path another user could plant a library in), loaded with process.dlopen, and removed at once.
 */
export function loadNativeAddon<T>(packageName: string, asset: string): T {
  if (!sea.isSea()) {
    const require = createRequire(import.meta.url);
    return require(packageName) as T;
  }
  const dir = mkdtempSync(join(tmpdir(), 'p2v-agent-'));
  try {
    const file = join(dir, asset);
    writeFileSync(file, new Uint8Array(sea.getRawAsset(asset) as ArrayBuffer), { mode: 0o500 });
    const module = { exports: {} as T };
    process.dlopen(module, file);
    return module.exports;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
