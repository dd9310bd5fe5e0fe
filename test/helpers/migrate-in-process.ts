import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigrationEvent } from '../../shared/events.ts';
import type { MigrationReport } from '../../shared/report.ts';
import {
  startAgent,
  type AgentOptions,
  type RunningAgent,
} from '../../engine/agent/agent-server.ts';
import { runMigration, type MigrationOptions } from '../../engine/migration/migrate.ts';

/** Starts an in-process agent on 127.0.0.1 writing into `root`. */
export function startTestAgent(
  root: string,
  stateDir: string,
  handoverCommand: string | null = null,
  more: Partial<AgentOptions> = {},
): Promise<RunningAgent> {
  return startAgent({ root, stateDir, host: '127.0.0.1', port: 0, handoverCommand, ...more });
}

/** Runs a migration of `source` (mapped onto the target root) with test-friendly defaults. */
export async function migrateTo(
  agent: Pick<RunningAgent, 'host' | 'port' | 'token' | 'fingerprint'>,
  source: string,
  stateDir: string,
  overrides: Partial<MigrationOptions> = {},
): Promise<{ report: MigrationReport; events: MigrationEvent[] }> {
  const events: MigrationEvent[] = [];
  const emit = overrides.emit;
  const report = await runMigration({
    sources: [{ dir: source, target: '' }],
    excludes: [],
    useDefaultExcludes: false,
    target: {
      host: agent.host,
      port: agent.port,
      token: agent.token,
      fingerprint: agent.fingerprint,
    },
    stateDir,
    stopCommand: null,
    rollbackCommand: null,
    verify: 'full',
    thresholdBytes: 0,
    downtimeTargetMs: 0,
    maxRounds: 5,
    minRounds: 1,
    confirmCutover: () => Promise.resolve(true),
    backoff: () => Promise.resolve(),
    ...overrides,
    emit: (event) => {
      events.push(event);
      emit?.(event);
    },
  });
  return { report, events };
}

export const stateIn = (base: string, name: string): string => join(base, name);

/**
 * Rewrites a file (a copy on the target, behind the agent's back) with other bytes of its size
 * and puts its times back: only a checksum, whose cache key holds the ctime, can tell.
 */
export async function rewriteKeepingTimes(path: string): Promise<void> {
  const times = await stat(path);
  await writeFile(path, randomBytes(times.size));
  await utimes(path, times.atime, times.mtime);
}

/** Asserts that each named file holds the same bytes under `target` as under `source`. */
export async function assertSameFiles(
  source: string,
  target: string,
  names: readonly string[],
): Promise<void> {
  for (const name of names)
    assert.deepEqual(await readFile(join(target, name)), await readFile(join(source, name)), name);
}
