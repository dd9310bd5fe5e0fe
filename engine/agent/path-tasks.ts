/**
 * Work the agent runs in the background, keyed by path, so the connection keeps being read: the
 * signature of a large file, while the source already streams that file's changes. A request
 * that depends on all of it (a removal, a verification, the stop request) waits for it first.
 */
export class PathTasks {
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly limit: number) {}

  /**
   * Starts `work` for `path` once there is room and no earlier task for that path runs. `work`
   * reports its own errors (it answers the request itself) and must not reject.
   */
  async start(path: string, work: () => Promise<void>): Promise<void> {
    await this.waitFor(path);
    while (this.pending.size >= this.limit) await Promise.race(this.pending.values());
    const running = work().finally(() => {
      if (this.pending.get(path) === running) this.pending.delete(path);
    });
    this.pending.set(path, running);
  }

  /** Waits for the task of one path, if one is running. */
  async waitFor(path: string): Promise<void> {
    await this.pending.get(path);
  }

  /** Waits until no task is running. */
  async waitAll(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled(this.pending.values());
  }
}
