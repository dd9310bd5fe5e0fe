import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The one window's options, per Electron's security checklist: the page runs isolated and
 * sandboxed with no Node; only the preload's named functions reach the engine.
 */
export function windowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 860,
    minWidth: 800,
    minHeight: 600,
    show: false,
    title: 'P2V Wizard',
    backgroundColor: '#ffffff',
    autoHideMenuBar: true,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: process.env.P2V_DEVTOOLS === '1',
    },
  };
}
