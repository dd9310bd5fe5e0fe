// Builds the one-file agent, dist/p2v-agent: a Node single executable application holding the
// agent's bundle and, as assets, the native xxhash and xattr addons (engine/paths/native-addon.ts).
// A technician copies this one file to a conversion host; the VM builder puts it into the VM.
// Rebuilt only when the bundle is newer than the binary.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBundle, root } from './bundles.js';
const require = createRequire(import.meta.url);
const out = join(root, 'dist', 'p2v-agent');
/** The sentinel Node's own binary carries for the blob (documented in Node's SEA guide). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const mtime = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};

/** Returns the path of a current one-file agent, building it first if needed. */
export async function ensureAgentBinary() {
  const script = await ensureBundle('agent');
  if (mtime(out) >= mtime(script)) return out;
  const work = join(root, 'dist', `.agent-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const addon = require('node-gyp-build').resolve(join(root, 'node_modules', 'xxhash-addon'));
    // The prebuilt xattr addon of this platform (the package's main file is the .node itself).
    const xattr = require.resolve(`@napi-rs/xattr-${process.platform}-${process.arch}-gnu`);
    const config = join(work, 'sea-config.json');
    const blob = join(work, 'agent.blob');
    writeFileSync(
      config,
      JSON.stringify({
        main: script,
        output: blob,
        disableExperimentalSEAWarning: true,
        useCodeCache: false,
        assets: { 'xxhash-addon.node': addon, 'xattr.node': xattr },
      }),
    );
    execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'ignore' });
    const binary = join(work, 'p2v-agent');
    copyFileSync(process.execPath, binary);
    chmodSync(binary, 0o755);
    // The CLI, with its output kept: postject's ELF library prints harmless section warnings.
    execFileSync(
      process.execPath,
      [
        require.resolve('postject/dist/cli.js'),
        binary,
        'NODE_SEA_BLOB',
        blob,
        '--sentinel-fuse',
        FUSE,
      ],
      { stdio: 'pipe' },
    );
    renameSync(binary, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await ensureAgentBinary());
