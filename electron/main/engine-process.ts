import { utilityProcess, type UtilityProcess } from 'electron';
import type { SessionEvent } from '../../shared/api.ts';
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
          for (const listener of this.listeners) listener(message.event);
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

  stop(): void {
    this.child.kill();
  }

  private post(message: MainMessage): void {
    this.child.postMessage(message);
  }
}
