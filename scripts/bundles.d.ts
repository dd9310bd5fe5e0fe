/** Types for scripts/bundles.js: builds a bundle if a source changed; resolves with its path. */
export function ensureBundle(
  name: 'cli' | 'renderer' | 'electron-main' | 'electron-engine' | 'electron-preload' | 'agent',
): Promise<string>;

/** The project's folder. */
export const root: string;
