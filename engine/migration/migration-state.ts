import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { pathExists } from '../paths/path-exists.ts';
import { writeFileDurably } from '../storage/durable-write.ts';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import type { MigrationReport } from '../../shared/report.ts';
import type { RawPath } from '../paths/raw-path.ts';
import type { AgentAddress } from '../source/agent-client.ts';

export type StoredPhase = 'copy' | 'vm' | 'vm-check' | 'rounds' | 'cutover' | 'done';

/** What survives a crash besides the index and the record: the phase and the report so far. */
export interface StoredMigration {
  key: string;
  phase: StoredPhase;
  report: MigrationReport;
  /** Once the VM answered: where its agent is, so a resumed migration goes on there. */
  vmTarget?: AgentAddress;
  /** Target paths the VM's build changed on purpose (its rebuilt initramfs): never sent again. */
  heldByTarget?: RawPath[];
}

/** The migration.json file in the state dir, written atomically. */
export class MigrationState {
  private constructor(
    private readonly file: string,
    public stored: StoredMigration,
    readonly resumed: boolean,
  ) {}

  static async open(
    stateDir: string,
    key: string,
    fresh: () => MigrationReport,
  ): Promise<MigrationState> {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const file = join(stateDir, 'migration.json');
    const stored = await readStored(file);
    if (stored) {
      if (stored.key !== key) {
        throw new P2VError(
          'STATE_MISMATCH',
          `${stateDir} holds migration ${stored.key}, this one is ${key}`,
        );
      }
      // A finished migration stays as it is: a run after it says so (migrate.ts), never starts over.
      return new MigrationState(file, stored, true);
    }
    const state = new MigrationState(file, { key, phase: 'copy', report: fresh() }, false);
    await state.save();
    return state;
  }

  get report(): MigrationReport {
    return this.stored.report;
  }

  async setPhase(phase: StoredPhase): Promise<void> {
    this.stored.phase = phase;
    await this.save();
  }

  /** Written atomically and durably: the phase it holds decides what the next run does. */
  async save(): Promise<void> {
    await writeFileDurably(this.file, JSON.stringify(this.stored, null, 2));
  }
}

/**
 * The state in `file`, or null when there is none. A file that is there but cannot be read is
 * an error naming it: it may say that the program was stopped or handed over.
 */
async function readStored(file: string): Promise<StoredMigration | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const stored = JSON.parse(text) as StoredMigration;
    if (typeof stored?.key !== 'string' || typeof stored.phase !== 'string' || !stored.report)
      throw new Error('not a migration state');
    return stored;
  } catch (error) {
    throw new P2VError('STATE_CORRUPT', `${file}: ${(error as Error).message}`);
  }
}

/** The files that make up a migration's state in its folder. */
const STATE_FILES = ['migration.json', 'cutover.jsonl', 'index.jsonl', 'record.jsonl', 'report'];

/**
 * Moves an earlier migration's state into `previous-<time>` inside the folder, so a new one
 * starts there and the old one can still be read; returns where it went, or null if none was.
 */
export async function archiveState(stateDir: string): Promise<string | null> {
  const present: string[] = [];
  for (const name of STATE_FILES) if (await pathExists(join(stateDir, name))) present.push(name);
  if (present.length === 0) return null;
  const archive = join(stateDir, `previous-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(archive, { mode: 0o700 });
  for (const name of present) await rename(join(stateDir, name), join(archive, name));
  return archive;
}

export function newMigrationId(): string {
  return randomUUID();
}

/** The report a state dir holds, finished or not. */
export async function loadStoredReport(stateDir: string): Promise<MigrationReport> {
  const file = join(stateDir, 'migration.json');
  const stored = await readStored(file);
  if (!stored) throw new P2VError('BAD_ARGUMENT', `no migration state in ${stateDir}`);
  return stored.report;
}
