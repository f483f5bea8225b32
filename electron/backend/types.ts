import type { FluxoEventListener, FluxoServices, HostKind, RunRecord } from '../../shared/api';
import type { ClusterConnections, RunManager } from './runs';
import type { PromptDesk } from './targetsService';

/** Native dialogs; only Electron's main process provides them. */
export interface DialogProvider {
  openPipeline(): Promise<string | null>;
  savePipeline(suggestedName: string): Promise<string | null>;
  pickFile(extensions: string[]): Promise<string | null>;
  openPack?(): Promise<string | null>;
  savePack?(suggestedName: string): Promise<string | null>;
  /** A save dialog for a run archive (.zip, .tar.gz). */
  saveArchive?(suggestedName: string): Promise<string | null>;
  /** A folder for a path param of kind "folder"; optional so older providers still fit. */
  pickFolder?(): Promise<string | null>;
}

export interface BackendOptions {
  hostKind: HostKind;
  /** Folder holding blocks/, examples/, targets/ (the repository's resources/ in development). */
  resourcesDir: string;
  /** The user's Fluxo home: runs/ and pipelines/ live here. */
  homeDir: string;
  dialogs?: DialogProvider;
  version?: string;
  /** SSH connections to clusters (one per profile); absent: cluster targets cannot run here. */
  clusters?: ClusterConnections;
  /** Monitoring intervals of cluster runs in ms (tests shorten them). */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** Pick up cluster runs no Fluxo process watches (the app does at start; the CLI per command). */
  reattachOnStart?: boolean;
  /** Opens a folder in the system's file manager (Electron's shell.openPath: '' or an error text). */
  openPath?: (folder: string) => Promise<string>;
  /** Login questions for the windows (UiPrompter); absent: nothing is asked through the contract. */
  prompts?: PromptDesk;
  /** The ssh config the settings screen lists and imports from (default FLUXO_SSH_CONFIG, ~/.ssh/config). */
  sshConfigFile?: string;
}

export interface Backend {
  services: FluxoServices;
  subscribe(listener: FluxoEventListener): () => void;
  /** Resolves with the final record when the run ends (the CLI waits on it instead of polling). */
  waitForRun(runId: string): Promise<RunRecord>;
  /** Cancels every run on this computer and stops watching cluster runs (their jobs go on). */
  dispose(): Promise<void>;
  /** What the CLI needs beyond the contract: re-attaching, following logs, fetching results. */
  runManager: RunManager;
}
