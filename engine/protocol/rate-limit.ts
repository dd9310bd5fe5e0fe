/**
 * A bandwidth limit for what the source sends: a token bucket that senders wait on after each
 * frame, so the average rate holds over any second while a frame already written still leaves at
 * link speed. One limit is shared by every connection of a migration (a reconnect does not reset
 * it) and can be changed or lifted while the migration runs.
 */
export class RateLimit {
  private bytesPerSecond: number | null;
  /** Bytes that may go out now: grows with time up to one burst, goes negative when overdrawn. */
  private tokens = 0;
  private refilledAt = Date.now();
  private readonly listeners = new Set<() => void>();

  constructor(bytesPerSecond: number | null = null) {
    this.bytesPerSecond = validRate(bytesPerSecond);
  }

  /** The limit in bytes per second, or null when there is none. */
  get rate(): number | null {
    return this.bytesPerSecond;
  }

  /** Sets (or, with null, lifts) the limit; senders waiting under the old one are re-timed. */
  set(bytesPerSecond: number | null): void {
    this.refill();
    this.bytesPerSecond = validRate(bytesPerSecond);
    this.tokens = Math.min(this.tokens, this.burst());
    for (const wake of [...this.listeners]) wake();
  }

  /** Counts `bytes` as sent and resolves once the limit allows the next send. */
  take(bytes: number): Promise<void> {
    this.refill();
    this.tokens -= bytes;
    return this.waitForCredit();
  }

  private waitForCredit(): Promise<void> {
    if (this.bytesPerSecond === null || this.tokens >= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.listeners.delete(wake);
        this.refill();
        void this.waitForCredit().then(resolve);
      };
      const timer = setTimeout(wake, Math.ceil((-this.tokens / (this.bytesPerSecond ?? 1)) * 1000));
      this.listeners.add(wake);
    });
  }

  private refill(): void {
    const now = Date.now();
    if (this.bytesPerSecond !== null)
      this.tokens = Math.min(
        this.burst(),
        this.tokens + ((now - this.refilledAt) / 1000) * this.bytesPerSecond,
      );
    else this.tokens = 0;
    this.refilledAt = now;
  }

  /** A quarter second's worth: enough to keep the pipe busy, small enough that a pause is not made up in one gulp. */
  private burst(): number {
    return (this.bytesPerSecond ?? 0) / 4;
  }
}

function validRate(bytesPerSecond: number | null): number | null {
  if (bytesPerSecond === null) return null;
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0)
    throw new RangeError(`not a bandwidth: ${bytesPerSecond} bytes/s`);
  return bytesPerSecond;
}

/** Mbit/s (as a technician gives a limit) in bytes per second; null stays null. */
export function mbitToBytes(mbit: number | null): number | null {
  return mbit === null ? null : (mbit * 1e6) / 8;
}
