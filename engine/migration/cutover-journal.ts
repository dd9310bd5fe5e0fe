import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import { CUTOVER_STEPS, type CutoverStep } from '../../shared/events.ts';
import type { Message } from '../../shared/i18n/message.ts';
import { appendLineDurably } from '../storage/durable-write.ts';

/** One step of a cutover as written before the step's action began. */
export interface JournalEntry {
  step: CutoverStep;
  at: string;
  /** In English, for the CLI and the JSON report; `said` is the same for another language. */
  detail?: string;
  said?: Message;
}

/**
 * Where the last cutover stands, read from the journal:
 * - `none`: none began, or the last one was rolled back: the program runs on the source;
 * - `stopped`: the stop command was started (the program may be stopped on the source) and the
 *   target was not yet asked to stop;
 * - `stop-asked`: the target was asked to stop and may have stopped taking writes, but was not
 *   asked to start the program;
 * - `handover-asked`: the target was asked to start the program; only it knows whether it did;
 * - `rolling-back`: the rollback command was started and not seen to finish;
 * - `handed-over`: the program started on the target.
 */
export type CutoverStanding =
  | { kind: 'none' }
  | { kind: 'stopped' | 'stop-asked' | 'handover-asked' | 'rolling-back'; since: string }
  | { kind: 'handed-over'; at: string };

const STEPS = new Set<CutoverStep>(CUTOVER_STEPS);

/**
 * The cutover journal (`cutover.jsonl` in the state folder): every step is on disk before the
 * next begins, so whoever runs the migration next (the CLI or the wizard, after a signal, a
 * crash or a closed window) knows whether the program was stopped, asked to start on the
 * target, or handed over, and never starts it a second time.
 */
export class CutoverJournal {
  private constructor(
    readonly file: string,
    private readonly entries: JournalEntry[],
  ) {}

  /**
   * Reads the journal. A last line cut short by a crash is a step whose action never began and
   * is left out; any other line that is not a step is an error naming the file: a journal is
   * never guessed over.
   */
  static async open(stateDir: string): Promise<CutoverJournal> {
    const file = join(stateDir, 'cutover.jsonl');
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const lines = text.split('\n');
    // The part after the last newline was never completed.
    lines.pop();
    const entries = lines.map((line, index) => parseEntry(line, file, index + 1));
    return new CutoverJournal(file, entries);
  }

  /** Writes a step and waits until it is on disk. */
  async write(step: CutoverStep, detail?: string, said?: Message): Promise<JournalEntry> {
    const entry: JournalEntry = {
      step,
      at: new Date().toISOString(),
      ...(detail ? { detail } : {}),
      ...(said ? { said } : {}),
    };
    await appendLineDurably(this.file, JSON.stringify(entry));
    this.entries.push(entry);
    return entry;
  }

  /** Where the last cutover stands. */
  standing(): CutoverStanding {
    const attempt = this.lastAttempt();
    let standing: CutoverStanding = { kind: 'none' };
    for (const { step, at } of attempt) {
      const since: string =
        standing.kind === 'none' || standing.kind === 'handed-over' ? at : standing.since;
      switch (step) {
        case 'stop-command':
        case 'stopped':
          if (standing.kind === 'none') standing = { kind: 'stopped', since };
          break;
        case 'stop-request':
        case 'stop-answered':
          if (standing.kind === 'none' || standing.kind === 'stopped')
            standing = { kind: 'stop-asked', since };
          break;
        case 'handover':
          standing = { kind: 'handover-asked', since };
          break;
        case 'started':
          standing = { kind: 'handed-over', at };
          break;
        case 'rollback':
          standing = { kind: 'rolling-back', since };
          break;
        case 'rolled-back':
          standing = { kind: 'none' };
          break;
        default:
          break;
      }
    }
    return standing;
  }

  /** The steps of the last cutover, for the report's timeline. */
  lastAttempt(): JournalEntry[] {
    let start = 0;
    this.entries.forEach((entry, index) => {
      if (entry.step === 'confirmed') start = index;
    });
    return this.entries.slice(start);
  }
}

function parseEntry(line: string, file: string, number: number): JournalEntry {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    entry = null;
  }
  const candidate = entry as Partial<JournalEntry> | null;
  if (
    !candidate ||
    typeof candidate.at !== 'string' ||
    !STEPS.has(candidate.step as CutoverStep) ||
    (candidate.detail !== undefined && typeof candidate.detail !== 'string') ||
    (candidate.said !== undefined && typeof candidate.said?.key !== 'string')
  )
    throw new P2VError('STATE_CORRUPT', `${file} line ${number}: ${line.slice(0, 200)}`);
  return candidate as JournalEntry;
}
