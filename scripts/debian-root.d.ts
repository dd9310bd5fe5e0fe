export function debianRootReady(dir: string): boolean;
export function makeDebianRoot(dir: string, log?: 'ignore' | number): Promise<number>;
