import type { SessionEvent } from '../../shared/api.ts';
import type { ErrorInfo } from '../../shared/errors.ts';

/** From the main process to the engine host. */
export type MainMessage =
  | { kind: 'init'; dataDir: string }
  | { kind: 'call'; id: number; method: string; arg: unknown }
  | { kind: 'printed'; id: number; error: string | null }
  /** Stop the migration (a cutover under way is rolled back or finished first), then say so. */
  | { kind: 'shutdown' };

/** From the engine host to the main process. */
export type HostMessage =
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: ErrorInfo }
  | { kind: 'event'; event: SessionEvent }
  | { kind: 'print'; id: number; html: string; pdf: string }
  | { kind: 'open-folder'; path: string }
  | { kind: 'shut-down' };
