import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { SessionEvent } from '../../shared/api.ts';
import { CHANNELS, EVENT_CHANNEL } from '../../shared/api-channels.ts';
import type { IpcAnswer } from '../main/ipc-guard.ts';

/** One named function per API call; the window never sees ipcRenderer itself. */
const api: Record<string, unknown> = Object.fromEntries(
  Object.entries(CHANNELS).map(([method, channel]) => [
    method,
    async (arg?: unknown) => {
      const answer = (await ipcRenderer.invoke(channel, arg)) as IpcAnswer;
      if (answer.ok) return answer.value;
      // A plain object crosses the context bridge intact; the wizard reads its code.
      throw answer.error;
    },
  ]),
);

api.onEvent = (listener: (event: SessionEvent) => void): (() => void) => {
  const handler = (_event: IpcRendererEvent, event: SessionEvent): void => listener(event);
  ipcRenderer.on(EVENT_CHANNEL, handler);
  return () => {
    ipcRenderer.off(EVENT_CHANNEL, handler);
  };
};

contextBridge.exposeInMainWorld('p2v', api);
