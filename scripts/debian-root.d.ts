/** The modules the root's initramfs lists: the VM's disk drivers and the test's filesystems. */
export const BOOT_MODULES: string[];
export function debianRootReady(dir: string): boolean;
export function makeDebianRoot(dir: string, log?: 'ignore' | number): Promise<number>;
/** Trims the root in `dir` to what a server needs (apt's caches, desktop drivers); idempotent. */
export function slimRoot(dir: string): void;
