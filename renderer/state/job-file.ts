// A job's settings saved to a file and opened again: what to move, the commands and the options
// of What to move, as typed. The target is not in it: its agent prints a new address and token
// each time it starts, and a token in a file that travels by mail would open the agent to anyone.
import { z } from 'zod';
import { SelectionForm } from './selection-form.ts';

const FORMAT = 'p2v-wizard-job';
const VERSION = 1;

const JobFile = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  /** Every field optional: a file saved before a field existed opens, and leaves it as it is. */
  selection: SelectionForm.partial(),
});

/** Why a file cannot be opened as a job, as a catalog key and its values. */
export class JobFileError extends Error {
  constructor(
    readonly key: string,
    readonly params: Record<string, string> = {},
  ) {
    super(key);
  }
}

/** The file's text for these settings. */
export function jobFileText(selection: SelectionForm, savedAt = new Date()): string {
  return `${JSON.stringify({ format: FORMAT, version: VERSION, savedAt: savedAt.toISOString(), selection }, null, 2)}\n`;
}

/** The settings a job file holds; throws JobFileError saying what is wrong with it. */
export function selectionFromJobFile(text: string): Partial<SelectionForm> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new JobFileError('job.notJson');
  }
  const parsed = JobFile.safeParse(data);
  if (parsed.success) return parsed.data.selection;
  const [where, field] = parsed.error.issues[0]?.path ?? [];
  const version = (data as { version?: unknown } | null)?.version;
  // Ours by its format and version but a setting in it is bad: say which.
  if (where === 'selection' && field !== undefined)
    throw new JobFileError('job.badField', { field: String(field) });
  if (where === 'version' && typeof version === 'number')
    throw new JobFileError('job.version', { version: String(version) });
  throw new JobFileError('job.notAJob');
}
