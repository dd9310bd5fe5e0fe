import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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

/** Identifies a migration by its sources and target, so a state dir is not reused by mistake. */
export function migrationKey(
  sources: { dir: string; target: string }[],
  host: string,
  port: number,
): string {
  return createHash('sha256')
    .update(JSON.stringify({ sources, host, port }))
    .digest('hex')
    .slice(0, 16);
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
    try {
      const stored = JSON.parse(await readFile(file, 'utf8')) as StoredMigration;
      if (stored.key !== key) {
        throw new P2VError(
          'STATE_MISMATCH',
          `${stateDir} holds migration ${stored.key}, this one is ${key}`,
        );
      }
      if (stored.phase !== 'done') return new MigrationState(file, stored, true);
    } catch (error) {
      if (error instanceof P2VError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError))
        throw error;
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

  async save(): Promise<void> {
    const temp = `${this.file}.tmp`;
    await writeFile(temp, JSON.stringify(this.stored, null, 2));
    await rename(temp, this.file);
  }
}

export function newMigrationId(): string {
  return randomUUID();
}

/** The report a state dir holds, finished or not. */
export async function loadStoredReport(stateDir: string): Promise<MigrationReport> {
  let stored: StoredMigration;
  try {
    stored = JSON.parse(
      await readFile(join(stateDir, 'migration.json'), 'utf8'),
    ) as StoredMigration;
  } catch (error) {
    throw new P2VError(
      'BAD_ARGUMENT',
      `no migration state in ${stateDir}: ${(error as Error).message}`,
    );
  }
  return stored.report;
}
