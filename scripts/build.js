// `npm run build` (`node scripts/build.js NAME...`): builds those bundles, all of them without
// names. Apart from bundles.js because the CLI's bundle takes bundles.js in: a "run as a script"
// check there would be true for `node dist/p2v.mjs` too, and take its arguments for bundle names.
import { bundleNames, ensureBundle } from './bundles.js';

const names = process.argv.slice(2);
for (const name of names.length > 0 ? names : bundleNames()) console.log(await ensureBundle(name));
