import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { startBrowserBridge, type BrowserBridge } from '../../engine/bridge/browser-bridge.ts';
import { WizardService } from '../../engine/session/wizard-service.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Opens a WebSocket and resolves with it, or rejects with the HTTP status it was refused with. */
function openSocket(url: string, origin: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Sends one call and resolves with the answer carrying its id. */
function call(ws: WebSocket, message: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const answer = JSON.parse(String(data)) as Record<string, unknown>;
      if (answer.kind === 'event') return;
      ws.off('message', onMessage);
      resolve(answer);
    };
    ws.on('message', onMessage);
    ws.send(typeof message.raw === 'string' ? message.raw : JSON.stringify(message));
  });
}

describe('browser mode refuses what it must', () => {
  let bridge: BrowserBridge;
  let origin: string;
  before(async () => {
    const base = await tempDir();
    const rendererDir = join(base, 'renderer');
    await mkdir(rendererDir);
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html><p>wizard</p>');
    await writeFile(join(rendererDir, 'app.js'), 'console.log(1)');
    await writeFile(join(base, 'secret.txt'), 'outside the renderer');
    await writeFile(join(base, 'report.json'), '{"ok":true}\n');
    bridge = await startBrowserBridge({
      api: new WizardService({ dataDir: join(base, 'data') }),
      rendererDir,
      downloads: (name) => (name === 'report.json' ? join(base, 'report.json') : null),
    });
    origin = `http://127.0.0.1:${bridge.port}`;
  });
  after(() => bridge.close());

  it('serves the page only with the token, then its files by cookie, never outside its folder', async () => {
    assert.equal((await fetch(`${origin}/`)).status, 403);
    assert.equal((await fetch(`${origin}/?token=wrong`)).status, 403);
    const page = await fetch(bridge.url);
    assert.equal(page.status, 200);
    assert.match(
      page.headers.get('content-security-policy') ?? '',
      /default-src 'none'; script-src 'self'/,
    );
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
    assert.match(cookie, /^p2v_session=/);
    assert.equal((await fetch(`${origin}/app.js`)).status, 403, 'no cookie, no file');
    assert.equal((await fetch(`${origin}/app.js`, { headers: { cookie } })).status, 200);
    const escape = await fetch(`${origin}/%2e%2e/secret.txt`, { headers: { cookie } });
    assert.equal(escape.status, 404);
    assert.equal((await fetch(bridge.url, { method: 'POST' })).status, 405);
  });

  it('lets the page download an exported report, by cookie, and nothing else', async () => {
    const page = await fetch(bridge.url);
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
    assert.equal((await fetch(`${origin}/download/report.json`)).status, 403, 'no cookie');
    const report = await fetch(`${origin}/download/report.json`, { headers: { cookie } });
    assert.equal(report.status, 200);
    assert.equal(report.headers.get('content-disposition'), 'attachment; filename="report.json"');
    assert.equal(await report.text(), '{"ok":true}\n');
    for (const other of ['secret.txt', '..%2Fsecret.txt', '%2e%2e/secret.txt'])
      assert.equal(
        (await fetch(`${origin}/download/${other}`, { headers: { cookie } })).status,
        404,
        other,
      );
  });

  it('refuses a WebSocket without the token or from another origin', async () => {
    const api = `ws://127.0.0.1:${bridge.port}/api`;
    await assert.rejects(openSocket(api, origin), /HTTP 403/);
    await assert.rejects(
      openSocket(`${api}?token=${bridge.token}`, 'http://evil.example'),
      /HTTP 403/,
    );
    await assert.rejects(
      openSocket(`${api}?token=${bridge.token}`, 'http://localhost:1'),
      /HTTP 403/,
    );
    const ws = await openSocket(`${api}?token=${bridge.token}`, origin);
    ws.close();
  });

  it('answers calls, and refuses unknown calls and bad payloads with a clear error', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${bridge.port}/api?token=${bridge.token}`, origin);
    try {
      const profiles = await call(ws, { kind: 'call', id: 1, method: 'listProfiles' });
      assert.equal((profiles.value as unknown[]).length, 3);
      const unknown = await call(ws, { kind: 'call', id: 2, method: 'constructor' });
      assert.equal((unknown.error as { code: string }).code, 'BAD_ARGUMENT');
      const bad = await call(ws, {
        kind: 'call',
        id: 3,
        method: 'connectTarget',
        arg: { host: '127.0.0.1', port: 99999, token: 't', fingerprint: 'nope' },
      });
      assert.equal((bad.error as { code: string }).code, 'BAD_ARGUMENT');
      assert.match((bad.error as { message: string }).message, /port/);
      const junk = await call(ws, { raw: '{not json' });
      assert.equal(junk.kind, 'error');
      const session = await call(ws, { kind: 'call', id: 4, method: 'getSession' });
      assert.equal((session.value as { stage: string }).stage, 'idle', 'still serving');
    } finally {
      ws.close();
    }
  });
});
