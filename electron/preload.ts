// The sandboxed preload: the renderer's only door to the backend. It exposes window.fluxo, built
// from the contract's method list, and never ipcRenderer itself (a page holding ipcRenderer could
// send on any channel). esbuild bundles ./ipcChannels in; at run time only 'electron' is required.
import type { IpcRendererEvent } from 'electron';
import { contextBridge, ipcRenderer } from 'electron';
import type { FluxoEvent, FluxoEventListener } from '../shared/api';
import { buildBridgeApi, IPC_EVENT_CHANNEL } from './ipcChannels';

function subscribe(listener: FluxoEventListener): () => void {
  // The IPC event object (with its sender) stays here; the page only sees the batch.
  const onBatch = (_event: IpcRendererEvent, batch: FluxoEvent[]) => listener(batch);
  ipcRenderer.on(IPC_EVENT_CHANNEL, onBatch);
  return () => {
    ipcRenderer.removeListener(IPC_EVENT_CHANNEL, onBatch);
  };
}

const api = buildBridgeApi((channel, args) => ipcRenderer.invoke(channel, ...args), subscribe);

contextBridge.exposeInMainWorld('fluxo', api);
