export function debianRootReady(dir: string): boolean;
export function makeDebianRoot(dir: string, log?: 'ignore' | number): Promise<number>;
/** Trims the root in `dir` to what a server needs (apt's caches, desktop drivers); idempotent. */
export function slimRoot(dir: string): void;
