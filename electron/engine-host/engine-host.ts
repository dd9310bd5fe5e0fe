// The engine in Electron's utility process: the window's calls arrive from the main process
// as messages, run on the same WizardService as browser mode, and session events go back.
// Hashing and I/O never run on the main process or in the window.
import { API_CHANNELS, type ApiMethod } from '../../shared/api.ts';
import { dispatchApiCall, toErrorInfo } from '../../engine/bridge/api-dispatch.ts';
import { WizardService } from '../../engine/session/wizard-service.ts';
import type { HostMessage, MainMessage } from './host-messages.ts';

const port = process.parentPort;
const send = (message: HostMessage): void => port.postMessage(message);
let nextPrint = 1;
const printing = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

let service: WizardService | null = null;

port.on('message', (event: { data: MainMessage }) => {
  const message = event.data;
  if (message.kind === 'init') {
    service = new WizardService({
      dataDir: message.dataDir,
      // Opening a folder and printing a PDF need the main process: asked for by message.
      openFolder: async (path) => send({ kind: 'open-folder', path }),
      printPdf: (html, pdf) =>
        new Promise((resolve, reject) => {
          const id = nextPrint++;
          printing.set(id, { resolve, reject });
          send({ kind: 'print', id, html, pdf });
        }),
    });
    service.onEvent((session) => send({ kind: 'event', event: session }));
    return;
  }
  if (message.kind === 'shutdown') {
    void (service?.close() ?? Promise.resolve()).finally(() => send({ kind: 'shut-down' }));
    return;
  }
  if (message.kind === 'printed') {
    const waiting = printing.get(message.id);
    printing.delete(message.id);
    if (message.error) waiting?.reject(new Error(message.error));
    else waiting?.resolve();
    return;
  }
  if (message.kind === 'call') {
    if (!service || !Object.hasOwn(API_CHANNELS, message.method)) return;
    dispatchApiCall(service, message.method as ApiMethod, message.arg).then(
      (value) => send({ kind: 'result', id: message.id, value: value ?? null }),
      (error: unknown) => send({ kind: 'error', id: message.id, error: toErrorInfo(error) }),
    );
  }
});

process.on('exit', () => void service?.close());
