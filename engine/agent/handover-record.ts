import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import type { AgentCutover } from '../protocol/messages.ts';
import { writeFileDurably } from '../storage/durable-write.ts';

/** What the file holds: the cutover, for the root it was made in, and the command's attempt. */
interface StoredHandover extends AgentCutover {
  root: string;
  /** Names the handover command's files while it runs (handover-command.ts). */
  attempt?: string;
}

/**
 * The agent's cutover state, on disk before any answer depends on it: an agent restarted after a
 * stop or a handover still refuses writes and tells the next source where the cutover stands.
 * Kept per root: an agent started on another root is a new migration.
 */
export class HandoverRecord {
  private constructor(
    private readonly file: string,
    private readonly root: string,
    private stored: StoredHandover | null,
  ) {}

  /**
   * Reads the record in `stateDir`. `acceptNew` forgets a finished one (the technician chose a
   * new migration onto this agent) and returns what was forgotten.
   */
  static async open(
    stateDir: string,
    root: string,
    acceptNew: boolean,
  ): Promise<{ record: HandoverRecord; forgotten: AgentCutover | null }> {
    const file = join(stateDir, 'handover.json');
    let stored: StoredHandover | null = null;
    try {
      stored = JSON.parse(await readFile(file, 'utf8')) as StoredHandover;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new P2VError(
          'STATE_CORRUPT',
          `${file}: ${(error as Error).message}; it says whether this agent handed over — look at it, then move it away or start with --accept-new-migration`,
        );
    }
    if (stored && stored.root !== root) stored = null;
    const record = new HandoverRecord(file, root, stored);
    if (!acceptNew || !stored) return { record, forgotten: null };
    await rm(file, { force: true });
    record.stored = null;
    return { record, forgotten: withoutLocal(stored) };
  }

  /** Where the cutover stands; null while the agent takes writes. */
  get current(): AgentCutover | null {
    return this.stored ? withoutLocal(this.stored) : null;
  }

  /** The handover command's attempt, while one was begun and not yet settled. */
  get attempt(): string | undefined {
    return this.stored?.attempt;
  }

  /** Writes the new state durably; null clears it (the agent takes writes again). */
  async set(next: AgentCutover | null, attempt?: string): Promise<void> {
    if (next === null) {
      await rm(this.file, { force: true });
      this.stored = null;
      return;
    }
    const stored: StoredHandover = { ...next, root: this.root, ...(attempt ? { attempt } : {}) };
    await writeFileDurably(this.file, `${JSON.stringify(stored, null, 2)}\n`);
    this.stored = stored;
  }
}

function withoutLocal(stored: StoredHandover): AgentCutover {
  const { migration, state, at, exitCode, output } = stored;
  return {
    migration,
    state,
    at,
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(output !== undefined ? { output } : {}),
  };
}
