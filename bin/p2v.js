#!/usr/bin/env node
// Entry for `npx p2v`: runs the CLI from its bundle, rebuilt from source when a file changed.
// Where the checkout cannot be written (a read-only install), it compiles the source with tsx.
import { pathToFileURL } from 'node:url';

let entry;
try {
  const { ensureBundle } = await import('../scripts/bundles.js');
  entry = pathToFileURL(await ensureBundle('cli')).href;
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../cli/main.ts', import.meta.url).href;
}
await import(entry);
