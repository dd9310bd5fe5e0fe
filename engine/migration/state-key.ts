import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { displayPath } from '../paths/raw-path.ts';
import type { SourceMapping } from '../source/source-map.ts';

/**
 * The one key of a migration: its source folders, where they land, and the target's address.
 * The CLI, the wizard and the state file all derive it here, so a migration started in one
 * resumes in the other.
 */
export function migrationKey(
  sources: readonly SourceMapping[],
  target: { host: string; port: number },
): string {
  const list = sources.map((s) => ({ dir: s.dir, target: displayPath(s.target) }));
  return createHash('sha256')
    .update(JSON.stringify({ sources: list, host: target.host, port: target.port }))
    .digest('hex')
    .slice(0, 16);
}

/** Where migrations keep their state unless told otherwise: one folder each below this. */
export function defaultStateRoot(): string {
  return process.getuid?.() === 0
    ? '/var/lib/p2v-wizard/migrations'
    : join(homedir(), '.local/state/p2v-wizard/migrations');
}

/** The state folder of a migration below `root`. */
export function stateFolderFor(
  root: string,
  sources: readonly SourceMapping[],
  target: { host: string; port: number },
): string {
  return join(root, `migration-${migrationKey(sources, target)}`);
}
