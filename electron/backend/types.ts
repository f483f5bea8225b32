import type { FluxoEventListener, FluxoServices, HostKind, RunRecord } from '../../shared/api';

/** Native dialogs; only Electron's main process provides them. */
export interface DialogProvider {
  openPipeline(): Promise<string | null>;
  savePipeline(suggestedName: string): Promise<string | null>;
  pickFile(extensions: string[]): Promise<string | null>;
}

export interface BackendOptions {
  hostKind: HostKind;
  /** Folder holding blocks/, examples/, targets/ (the repository's resources/ in development). */
  resourcesDir: string;
  /** The user's Fluxo home: runs/ and pipelines/ live here. */
  homeDir: string;
  dialogs?: DialogProvider;
  version?: string;
}

export interface Backend {
  services: FluxoServices;
  subscribe(listener: FluxoEventListener): () => void;
  /** Resolves with the final record when the run ends (the CLI waits on it instead of polling). */
  waitForRun(runId: string): Promise<RunRecord>;
  /** Cancels every running run and waits until their processes are gone. */
  dispose(): Promise<void>;
}
