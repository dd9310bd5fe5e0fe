import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WizardApi } from '../../shared/api.ts';
import { dispatchApiCall, toErrorInfo } from './api-dispatch.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
};
const COOKIE = 'p2v_session';
/** Calls larger than this are not API calls: the biggest real one is a few KiB. */
const MAX_MESSAGE = 1024 * 1024;

export interface BrowserBridge {
  /** The address to open, with the token: the only way in. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * Browser mode: serves the built wizard on 127.0.0.1 and the same API as the desktop app over
 * a WebSocket. The random token in the URL is the key: the page it opens gets a same-site
 * cookie for its own files, the WebSocket must carry the token and come from this origin.
 */
export async function startBrowserBridge(options: {
  api: WizardApi;
  rendererDir: string;
  /**
   * The file a `/download/NAME` request gets (an exported report), or null: the browser may be
   * the only way the technician reaches this machine's files.
   */
  downloads?: (name: string) => string | null;
  host?: string;
  port?: number;
}): Promise<BrowserBridge> {
  const token = randomBytes(24).toString('base64url');
  const host = options.host ?? '127.0.0.1';
  let origin = '';
  const hasToken = (given: string | null | undefined): boolean => {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const cookieToken = (req: IncomingMessage): string | null =>
    /(?:^|;\s*)p2v_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? null;

  const server = createServer((req, res) => {
    void serveFile(req, res).catch(() => deny(res, 500, 'internal error'));
  });
  const serveFile = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', origin);
    if (req.method !== 'GET') return deny(res, 405, 'method not allowed');
    const byQuery = hasToken(url.searchParams.get('token'));
    if (!byQuery && !hasToken(cookieToken(req))) return deny(res, 403, 'token required');
    if (url.pathname.startsWith('/download/')) {
      const name = decodeURIComponent(url.pathname.slice('/download/'.length));
      const file = name.includes('/') ? null : (options.downloads?.(name) ?? null);
      const body = file ? await readFile(file).catch(() => null) : null;
      if (!body) return deny(res, 404, 'not found');
      res.writeHead(200, {
        'Content-Type': TYPES[extname(name)] ?? 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${name}"`,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(body);
      return;
    }
    const path = url.pathname === '/' ? '/index.html' : url.pathname;
    const file = normalize(join(options.rendererDir, path));
    if (!file.startsWith(normalize(options.rendererDir) + sep)) return deny(res, 404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return deny(res, 404, 'not found');
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${origin.replace('http', 'ws')}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      ...(byQuery ? { 'Set-Cookie': `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict` } : {}),
    });
    res.end(body);
  };

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    const allowed =
      url.pathname === '/api' &&
      req.headers.origin === origin &&
      hasToken(url.searchParams.get('token'));
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options.api));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${host}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function deny(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

/** One window's connection: calls answered by id, session events pushed as they happen. */
function serveSocket(ws: WebSocket, api: WizardApi): void {
  const send = (message: unknown): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const unsubscribe = api.onEvent((event) => send({ kind: 'event', event }));
  ws.on('close', unsubscribe);
  ws.on('message', (data) => {
    let message: { kind?: unknown; id?: unknown; method?: unknown; arg?: unknown };
    try {
      message = JSON.parse(String(data)) as typeof message;
    } catch {
      return send({ kind: 'error', id: null, error: toErrorInfo(new Error('not JSON')) });
    }
    const id = typeof message.id === 'number' ? message.id : null;
    if (message.kind !== 'call' || id === null)
      return send({ kind: 'error', id, error: toErrorInfo(new Error('not a call')) });
    dispatchApiCall(api, message.method, message.arg).then(
      (value) => send({ kind: 'result', id, value: value ?? null }),
      (error: unknown) => send({ kind: 'error', id, error: toErrorInfo(error) }),
    );
  });
}
