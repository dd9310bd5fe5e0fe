// A job's settings saved to a file and opened again: what to move, the commands and the options
// of What to move, as typed. The target is not in it: its agent prints a new address and token
// each time it starts, and a token in a file that travels by mail would open the agent to anyone.
import { z } from 'zod';
import type { SelectionForm } from './store.ts';

const FORMAT = 'p2v-wizard-job';
const VERSION = 1;

/** Every field optional: a file saved by an older version opens, and keeps what it lacks as it is. */
const JobSelection = z
  .object({
    sources: z.string().max(64 * 4097),
    excludes: z.string().max(256 * 4097),
    defaultExcludes: z.boolean(),
    stopCommand: z.string().max(4096),
    rollbackCommand: z.string().max(4096),
    flushCommand: z.string().max(4096),
    releaseCommand: z.string().max(4096),
    downtimeSeconds: z.string().max(32),
    vmBoot: z.enum(['none', 'direct', 'grub-bios', 'grub-efi']),
    vmMemoryMiB: z.string().max(32),
    vmCpus: z.string().max(32),
    vmKeepSourceMac: z.boolean(),
    bandwidthMbit: z.string().max(32),
    autoConverge: z.boolean(),
    autoConvergePid: z.string().max(32),
  })
  .partial();

const JobFile = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  selection: JobSelection,
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
  if (typeof data !== 'object' || data === null || (data as { format?: unknown }).format !== FORMAT)
    throw new JobFileError('job.notAJob');
  if ((data as { version?: unknown }).version !== VERSION)
    throw new JobFileError('job.version', {
      version: String((data as { version?: unknown }).version),
    });
  const parsed = JobFile.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JobFileError('job.badField', { field: issue?.path.slice(1).join('.') ?? '?' });
  }
  return parsed.data.selection;
}
