import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { WizardApi } from '../shared/api.ts';
import { connectSocketApi } from './api/socket-api.ts';
import { App } from './app.tsx';
import { setUpI18n } from './i18n.ts';
import { createWizardStore } from './state/store.ts';
import { StoreProvider } from './store-context.tsx';
import './styles.css';

declare global {
  interface Window {
    /** The desktop app's preload exposes the API here; browser mode has a WebSocket instead. */
    p2v?: WizardApi;
  }
}

/** The API: Electron's preload, or browser mode's WebSocket with the token from the URL. */
async function connect(): Promise<WizardApi> {
  if (window.p2v) return window.p2v;
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api?token=${encodeURIComponent(token)}`;
  return connectSocketApi(url, () => {
    document.body.dataset.disconnected = 'true';
  });
}

async function main(): Promise<void> {
  const i18n = setUpI18n();
  document.documentElement.lang = i18n.language;
  const api = await connect();
  const store = createWizardStore(api);
  api.onEvent((event) => store.getState().applyEvent(event));
  await store.getState().restore();
  createRoot(document.getElementById('root') as HTMLElement).render(
    <StrictMode>
      <StoreProvider store={store} api={api}>
        <App />
      </StoreProvider>
    </StrictMode>,
  );
}

void main();
