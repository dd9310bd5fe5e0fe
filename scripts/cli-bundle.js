// Builds the CLI into one ES module (dist/p2v.mjs) with esbuild and keeps it current: the bundle
// is rebuilt whenever a file that went into it is newer, so a checkout always runs its own source.
// Node starts the bundle in about half the time tsx needs to compile the sources on the fly.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const BUNDLE = join(root, 'dist', 'p2v.mjs');
const INPUTS = join(root, 'dist', 'p2v.inputs.json');

function isCurrent() {
  try {
    const built = statSync(BUNDLE).mtimeMs;
    const inputs = JSON.parse(readFileSync(INPUTS, 'utf8'));
    return inputs.every((input) => statSync(join(root, input)).mtimeMs <= built);
  } catch {
    return false;
  }
}

/** Returns the path of a bundle that matches the sources, building it first if needed. */
export async function ensureBundle() {
  if (isCurrent()) return BUNDLE;
  mkdirSync(dirname(BUNDLE), { recursive: true });
  // Several processes may build at once (tests start agents in parallel): each writes its own
  // temporary files and renames them into place, so none ever imports a half-written bundle.
  const temp = `${BUNDLE}.${process.pid}.tmp.mjs`;
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['cli/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    metafile: true,
    outfile: temp,
    logLevel: 'warning',
  });
  writeFileSync(
    `${INPUTS}.${process.pid}.tmp`,
    JSON.stringify(Object.keys(result.metafile.inputs)),
  );
  renameSync(temp, BUNDLE);
  renameSync(`${INPUTS}.${process.pid}.tmp`, INPUTS);
  return BUNDLE;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await ensureBundle());
