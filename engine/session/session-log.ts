import type { SessionEvent } from '../../shared/api.ts';
import type { MigrationEvent } from '../../shared/events.ts';

/** Progress reaches the window at most this often: a few events a second, never a flood. */
export const PROGRESS_INTERVAL_MS = 250;
/** Warnings kept for a reload; more are counted in the report, not replayed. */
const MAX_WARNINGS = 1000;

type Progress = Extract<MigrationEvent, { type: 'progress' }>;

/**
 * The session's memory of what happened, for a window that reloads mid-migration, and the
 * throttle between the engine's progress and the window: the newest progress goes out at most
 * every PROGRESS_INTERVAL_MS, and always before any other event so the order stays true.
 */
export class SessionLog {
  private events: SessionEvent[] = [];
  private latestProgress: Progress | null = null;
  private pending: Progress | null = null;
  private lastSentAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private warnings = 0;

  constructor(
    private readonly send: (event: SessionEvent) => void,
    private readonly now: () => number = Date.now,
  ) {}

  add(event: SessionEvent): void {
    if (event.type === 'progress') return this.progress(event);
    this.flushProgress();
    if (event.type === 'warning' && ++this.warnings > MAX_WARNINGS) return this.send(event);
    this.events.push(event);
    this.send(event);
  }

  /** Events to replay: everything but progress, then the latest progress. */
  snapshot(): SessionEvent[] {
    return this.latestProgress ? [...this.events, this.latestProgress] : [...this.events];
  }

  clear(): void {
    this.flushProgress();
    this.events = [];
    this.latestProgress = null;
    this.warnings = 0;
  }

  private progress(event: Progress): void {
    this.latestProgress = event;
    const wait = this.lastSentAt + PROGRESS_INTERVAL_MS - this.now();
    if (wait <= 0) {
      this.pending = null;
      this.lastSentAt = this.now();
      this.send(event);
      return;
    }
    this.pending = event;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flushProgress();
    }, wait);
  }

  private flushProgress(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending) return;
    const event = this.pending;
    this.pending = null;
    this.lastSentAt = this.now();
    this.send(event);
  }
}
