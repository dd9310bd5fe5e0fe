import {
  API_CHANNELS,
  type ApiMethod,
  type SessionEvent,
  type WizardApi,
} from '../../shared/api.ts';
import type { ErrorInfo } from '../../shared/errors.ts';

/** An error from the engine, carrying its code so the window can say it in its language. */
export class ApiError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/**
 * The wizard API over browser mode's WebSocket: calls go out with an id and come back by it,
 * session events arrive as they happen. A lost connection fails every waiting call.
 */
export function connectSocketApi(url: string, onClosed: () => void): Promise<WizardApi> {
  const ws = new WebSocket(url);
  const pending = new Map<number, Pending>();
  const listeners = new Set<(event: SessionEvent) => void>();
  let nextId = 1;
  ws.addEventListener('message', (message) => {
    const data = JSON.parse(String(message.data)) as {
      kind: 'result' | 'error' | 'event';
      id?: number | null;
      value?: unknown;
      error?: ErrorInfo;
      event?: SessionEvent;
    };
    if (data.kind === 'event' && data.event) for (const listener of listeners) listener(data.event);
    const waiting = typeof data.id === 'number' ? pending.get(data.id) : undefined;
    if (!waiting) return;
    pending.delete(data.id as number);
    if (data.kind === 'result') waiting.resolve(data.value);
    else waiting.reject(new ApiError(data.error as ErrorInfo));
  });
  ws.addEventListener('close', () => {
    for (const waiting of pending.values())
      waiting.reject(
        new ApiError({ code: 'CONNECTION_LOST', message: 'engine connection closed' }),
      );
    pending.clear();
    onClosed();
  });
  const call = (method: ApiMethod, arg?: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(
        JSON.stringify(
          arg === undefined ? { kind: 'call', id, method } : { kind: 'call', id, method, arg },
        ),
      );
    });
  const api = Object.fromEntries(
    (Object.keys(API_CHANNELS) as ApiMethod[]).map((method) => [
      method,
      (arg?: unknown) => call(method, arg),
    ]),
  ) as unknown as WizardApi;
  api.onEvent = (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve(api), { once: true });
    ws.addEventListener('error', () => reject(new Error('cannot reach the engine')), {
      once: true,
    });
  });
}
