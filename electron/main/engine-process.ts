import { utilityProcess, type UtilityProcess } from 'electron';
import type { SessionEvent, SessionStage } from '../../shared/api.ts';

/** Stages in which the engine is moving data or cutting over. */
const ACTIVE_STAGES = ['running', 'awaiting-cutover', 'cutting-over'] as const;
import { P2VError } from '../../shared/errors.ts';
import type { HostMessage, MainMessage } from '../engine-host/host-messages.ts';

/** What the main process does for the engine: print a PDF, open a folder. */
export interface EngineServices {
  printPdf(html: string, pdf: string): Promise<void>;
  openFolder(path: string): Promise<void>;
}

/**
 * The engine in a utility process, as the main process sees it: calls by id, session events to
 * whoever listens. If the process dies, waiting calls fail with a clear error.
 */
export class EngineProcess {
  private readonly child: UtilityProcess;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private stage: SessionStage = 'idle';
  private shuttingDown: Promise<void> | null = null;
  private exited = false;

  constructor(entry: string, dataDir: string, services: EngineServices) {
    this.child = utilityProcess.fork(entry, [], {
      serviceName: 'P2V Wizard engine',
      stdio: 'inherit',
    });
    this.post({ kind: 'init', dataDir });
    this.child.on('message', (message: HostMessage) => {
      switch (message.kind) {
        case 'result':
        case 'error': {
          const waiting = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.kind === 'result') waiting?.resolve(message.value);
          else waiting?.reject(message.error);
          return;
        }
        case 'event':
          if (message.event.type === 'stage') this.stage = message.event.stage;
          for (const listener of this.listeners) listener(message.event);
          return;
        case 'shut-down':
          this.child.kill();
          return;
        case 'print':
          services.printPdf(message.html, message.pdf).then(
            () => this.post({ kind: 'printed', id: message.id, error: null }),
            (error: unknown) =>
              this.post({ kind: 'printed', id: message.id, error: String(error) }),
          );
          return;
        case 'open-folder':
          void services.openFolder(message.path);
          return;
      }
    });
    this.child.on('exit', (code) => {
      this.exited = true;
      const error = new P2VError('IO_ERROR', `the engine process stopped (exit ${code})`).toJSON();
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    });
  }

  call(method: string, arg: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ kind: 'call', id, method, arg });
    });
  }

  onEvent(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether a migration runs: closing the window then stops it, so the technician is asked. */
  get migrating(): boolean {
    return (ACTIVE_STAGES as readonly string[]).includes(this.stage);
  }

  /** Whether a cutover is under way: closing waits for its rollback or its handover. */
  get cuttingOver(): boolean {
    return this.stage === 'cutting-over';
  }

  /**
   * Stops the engine once the migration is stopped: a cutover under way is rolled back (or, once
   * the target was asked to take over, waited for) before the process ends.
   */
  shutdown(): Promise<void> {
    this.shuttingDown ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      this.child.once('exit', () => resolve());
      this.post({ kind: 'shutdown' });
    });
    return this.shuttingDown;
  }

  private post(message: MainMessage): void {
    this.child.postMessage(message);
  }
}
