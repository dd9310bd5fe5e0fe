import type * as XXHashAddon from 'xxhash-addon';
import { loadNativeAddon } from '../paths/native-addon.ts';

/** The name the one-file agent carries the native xxhash addon under (scripts/build-agent.js). */
export const XXHASH_ASSET = 'xxhash-addon.node';

/** The xxhash-addon module, from npm or from the one-file agent's asset. */
export function loadXXHash(): typeof XXHashAddon {
  return loadNativeAddon<typeof XXHashAddon>('xxhash-addon', XXHASH_ASSET);
}
