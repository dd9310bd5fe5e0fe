import type { MigrationEvent, ProgressPhase } from '../../shared/events.ts';

const INTERVAL_MS = 250;

/**
 * Counts bytes and files for one phase and emits at most four progress events a second, with the
 * current rate (smoothed) and an ETA, so no front end drowns in events.
 */
export class ProgressMeter {
  private bytesDone = 0;
  private filesDone = 0;
  private lastEmit = 0;
  private lastBytes = 0;
  private rate = 0;
  private readonly started: number;

  constructor(
    private readonly phase: ProgressPhase,
    private bytesTotal: number,
    private filesTotal: number,
    private readonly emit: (event: MigrationEvent) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.lastEmit = this.started;
  }

  add(bytes: number, files: number, currentFile: string): void {
    this.bytesDone += bytes;
    this.filesDone += files;
    const now = this.now();
    if (now - this.lastEmit >= INTERVAL_MS) this.send(now, currentFile);
  }

  /** Emits the final numbers now. */
  finish(currentFile = ''): void {
    this.send(this.now(), currentFile);
  }

  private send(now: number, currentFile: string): void {
    const seconds = (now - this.lastEmit) / 1000;
    const instant = seconds > 0 ? (this.bytesDone - this.lastBytes) / seconds : 0;
    this.rate = this.rate === 0 ? instant : this.rate * 0.7 + instant * 0.3;
    this.lastEmit = now;
    this.lastBytes = this.bytesDone;
    const left = Math.max(0, this.bytesTotal - this.bytesDone);
    this.emit({
      type: 'progress',
      phase: this.phase,
      value:
        this.bytesTotal > 0
          ? Math.min(1, this.bytesDone / this.bytesTotal)
          : this.filesTotal > 0
            ? this.filesDone / this.filesTotal
            : 1,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      bytesPerSecond: Math.round(this.rate),
      // To the tenth: rounded to whole seconds, a quarter second left read "0 ms left".
      etaSeconds: this.rate > 0 ? Math.round((left / this.rate) * 10) / 10 : null,
      currentFile,
    });
  }
}
