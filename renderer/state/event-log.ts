import type { SessionEvent } from '../../shared/api.ts';

/** One line of the session's log: an engine event and when the window had it. */
export interface LogEntry {
  /** Milliseconds since the epoch; the event's own time where it has one. */
  at: number | null;
  event: SessionEvent;
}

/** Lines the window keeps; the report has everything. */
const KEPT = 1000;

/** The log with `event` added; progress is left out (it is the progress bar's). */
export function appendLog(log: LogEntry[], event: SessionEvent, at: number | null): LogEntry[] {
  if (event.type === 'progress') return log;
  const own = 'at' in event && typeof event.at === 'string' ? Date.parse(event.at) : NaN;
  const entry = { at: Number.isFinite(own) ? own : at, event };
  return log.length >= KEPT ? [...log.slice(1 - KEPT), entry] : [...log, entry];
}

/** Which filter of the log view an event falls under. */
export function logKind(event: SessionEvent): 'warning' | 'cutover' | 'rounds' | 'vm' | 'other' {
  switch (event.type) {
    case 'warning':
    case 'reconnect':
      return 'warning';
    case 'cutover':
    case 'awaiting-cutover':
    case 'extra-round':
      return 'cutover';
    case 'round':
    case 'convergence':
      return 'rounds';
    case 'vm':
      return 'vm';
    default:
      return 'other';
  }
}
