// Builds the project's bundles with esbuild and keeps them current: a bundle is rebuilt when a
// file that went into it is newer, so a checkout always runs its own source. One definition per
// bundle: the CLI (what `p2v` runs), the wizard's renderer, and the Electron shell's two files.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's folder: bundles and their inputs are named relative to it. */
export const root = (() => {
  // Found by walking up to package.json: this file also runs from inside the CLI's bundle,
  // whose chunks sit a folder deeper (dist/p2v-chunks) than scripts/.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** What each bundle is built from and how. */
const BUNDLES = {
  cli: {
    entry: 'cli/main.ts',
    outfile: 'dist/p2v.mjs',
    // Each command in a chunk of its own under dist/p2v-chunks (cli/main.ts loads only the one
    // that runs), with the packages it imports: `p2v agent` took 0.43 s of CPU to start instead
    // of 0.62, `p2v migrate` 0.45 instead of 0.68; the tests start them hundreds of times.
    splitting: true,
    options: {
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      // Beside the bundle, not inline: an inline map cost every run of `p2v` 0.05-0.07 s
      // (decoded and parsed at load). `NODE_OPTIONS=--enable-source-maps` maps stack traces.
      sourcemap: 'linked',
    },
  },
  renderer: {
    entry: 'renderer/main.tsx',
    outfile: 'dist/renderer/app.js',
    options: {
      platform: 'browser',
      format: 'esm',
      target: 'chrome120',
      jsx: 'automatic',
      minify: true,
      sourcemap: 'linked',
      define: { 'process.env.NODE_ENV': '"production"' },
    },
    copy: [
      ['renderer/index.html', 'dist/renderer/index.html'],
      ['assets/icon.svg', 'dist/renderer/icon.svg'],
    ],
  },
  'electron-main': {
    entry: 'electron/main/main.ts',
    outfile: 'dist/electron/main.cjs',
    options: {
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['electron'],
      packages: 'external',
    },
  },
  'electron-engine': {
    entry: 'electron/engine-host/engine-host.ts',
    outfile: 'dist/electron/engine-host.mjs',
    options: {
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
    },
  },
  // The one-file agent's script: CommonJS with every package inside, as Node's single
  // executable applications take it (scripts/build-agent.js wraps it).
  agent: {
    entry: 'cli/agent-main.ts',
    outfile: 'dist/agent/p2v-agent.cjs',
    options: {
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: true,
      define: { 'import.meta.url': 'p2vImportMetaUrl' },
      banner: {
        js: "const p2vImportMetaUrl = require('node:url').pathToFileURL(__filename).href;",
      },
    },
  },
  'electron-preload': {
    entry: 'electron/preload/preload.ts',
    outfile: 'dist/electron/preload.cjs',
    options: { platform: 'node', format: 'cjs', target: 'node20', external: ['electron'] },
  },
};

function inputsFile(name) {
  return join(root, 'dist', `${name}.inputs.json`);
}

function isCurrent(name) {
  const bundle = BUNDLES[name];
  try {
    const built = statSync(join(root, bundle.outfile)).mtimeMs;
    const inputs = JSON.parse(readFileSync(inputsFile(name), 'utf8'));
    return inputs.every((input) => statSync(join(root, input)).mtimeMs <= built);
  } catch {
    return false;
  }
}

/**
 * Chunks of earlier builds: named by their content, so a rebuild after a change leaves the old
 * ones behind. Removed once an hour old, not at once: a process started before the rebuild may
 * still load one.
 */
function dropStaleChunks(dir) {
  const hourAgo = Date.now() - 3600_000;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    try {
      if (statSync(file).mtimeMs < hourAgo) rmSync(file, { force: true });
    } catch {
      // Removed by another build meanwhile.
    }
  }
}

/** Returns the absolute path of a current bundle, building it first if needed. */
export async function ensureBundle(name) {
  const bundle = BUNDLES[name];
  const out = join(root, bundle.outfile);
  if (isCurrent(name)) return out;
  const { build } = await import('esbuild');
  mkdirSync(dirname(out), { recursive: true });
  // Several processes may build at once (tests start many): each writes its own temporary
  // files and renames them into place, so none ever loads a half-written bundle.
  const tempDir = join(root, 'dist', `.build-${name}-${process.pid}`);
  const outName = bundle.outfile.split('/').pop();
  const result = await build({
    absWorkingDir: root,
    entryPoints: [bundle.entry],
    bundle: true,
    metafile: true,
    logLevel: 'warning',
    ...(bundle.splitting
      ? {
          splitting: true,
          outdir: tempDir,
          entryNames: outName.replace(/\.[^.]+$/, ''),
          chunkNames: `${outName.replace(/\.[^.]+$/, '')}-chunks/[name]-[hash]`,
          outExtension: { '.js': extname(outName) },
        }
      : { outfile: join(tempDir, outName) }),
    ...bundle.options,
  });
  // The entry last: a process that finds it finds the chunks it imports (named by their
  // content, so one built at the same time by another process is the same file).
  const outputs = Object.keys(result.metafile.outputs).sort(
    (a, b) => Number(a.endsWith(outName)) - Number(b.endsWith(outName)),
  );
  for (const file of outputs) {
    const target = join(dirname(out), relative(tempDir, join(root, file)));
    mkdirSync(dirname(target), { recursive: true });
    renameSync(join(root, file), target);
  }
  rmSync(tempDir, { recursive: true, force: true });
  if (bundle.splitting)
    dropStaleChunks(join(dirname(out), `${basename(out, extname(out))}-chunks`));
  for (const [from, to] of bundle.copy ?? []) copyFileSync(join(root, from), join(root, to));
  const inputs = [
    ...Object.keys(result.metafile.inputs),
    ...(bundle.copy ?? []).map(([from]) => from),
  ];
  writeFileSync(`${inputsFile(name)}.${process.pid}.tmp`, JSON.stringify(inputs));
  renameSync(`${inputsFile(name)}.${process.pid}.tmp`, inputsFile(name));
  return out;
}

/** Every bundle's name, for a build of them all. */
export const bundleNames = () => Object.keys(BUNDLES);
