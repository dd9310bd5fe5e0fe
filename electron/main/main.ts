import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { API_CHANNELS, EVENT_CHANNEL, type ApiMethod } from '../../shared/api.ts';
import {
  APP_ORIGIN,
  APP_SCHEME,
  appFileFor,
  CONTENT_SECURITY_POLICY,
  isAppUrl,
} from './content-security.ts';
import { EngineProcess } from './engine-process.ts';
import { defaultStateRoot } from '../../engine/migration/state-key.ts';
import { guardedHandler } from './ipc-guard.ts';
import { windowOptions } from './window-options.ts';

// The bundles sit side by side in dist/electron; the renderer's files in dist/renderer.
const here = __dirname;
const rendererDir = join(here, '..', 'renderer');

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false } },
]);

if (!app.requestSingleInstanceLock()) app.quit();

let window: BrowserWindow | null = null;
/** Set once the engine was told to stop: the next quit goes through. */
let quitting = false;

/** Prints an HTML report to PDF in a hidden, script-less window. */
async function printPdf(html: string, pdf: string): Promise<void> {
  const printer = new BrowserWindow({
    show: false,
    webPreferences: { javascript: false, sandbox: true },
  });
  try {
    await printer.loadURL(pathToFileURL(html).href);
    const data = await printer.webContents.printToPDF({ printBackground: true, pageSize: 'A4' });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(pdf, data);
  } finally {
    printer.destroy();
  }
}

function createWindow(engine: EngineProcess): BrowserWindow {
  const win = new BrowserWindow(windowOptions(join(here, 'preload.cjs')));
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  // Progress arrives throttled already: the engine's session log sends a few a second.
  const unsubscribe = engine.onEvent((event) => {
    if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event);
  });
  // Closing during a migration stops it; during a cutover that means a rollback. Asked first.
  win.on('close', (event) => {
    if (!engine.migrating || quitting) return;
    const choice = dialog.showMessageBoxSync(win, {
      type: 'warning',
      buttons: ['Keep the window open', 'Stop the migration and close'],
      defaultId: 0,
      cancelId: 0,
      title: 'A migration is running',
      message: engine.cuttingOver
        ? 'A cutover is under way. Closing rolls it back: the program is started on this machine again (or, if the target was already asked to take over, its answer is waited for).'
        : 'Closing stops the migration. It can be resumed later from where it stopped.',
    });
    if (choice === 0) event.preventDefault();
  });
  win.on('closed', () => {
    unsubscribe();
    window = null;
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

void app.whenReady().then(() => {
  const defaultSession = session.defaultSession;
  defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  defaultSession.setPermissionCheckHandler(() => false);
  defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    });
  });
  protocol.handle(APP_SCHEME, (request) => {
    const file = appFileFor(request.url, rendererDir, join);
    if (!file) return new Response('not found', { status: 404 });
    return net.fetch(pathToFileURL(file).href);
  });

  const engine = new EngineProcess(
    join(here, 'engine-host.mjs'),
    // The CLI's folders: a migration started in one resumes in the other.
    defaultStateRoot(),
    {
      printPdf,
      openFolder: async (path) => {
        await shell.openPath(path);
      },
    },
  );
  for (const method of Object.keys(API_CHANNELS) as ApiMethod[])
    ipcMain.handle(
      API_CHANNELS[method].channel,
      guardedHandler(method, (m, arg) => engine.call(m, arg)),
    );

  window = createWindow(engine);
  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.on('activate', () => {
    if (!window) window = createWindow(engine);
  });
  app.on('window-all-closed', () => app.quit());
  // The engine's rollback or handover is awaited before the app ends, whatever asked it to quit.
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    void engine.shutdown().finally(() => app.quit());
  });
});
