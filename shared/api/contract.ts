import { z } from 'zod';
import { zPipelineDocument } from '../document';
import type { PipelineDocument } from '../document';
import type { Result } from './result';
import type {
  CatalogSnapshot,
  ExampleSummary,
  ExportedRun,
  FolderListing,
  FluxoEventListener,
  HostInfo,
  OpenedDocument,
  OpenedWorkshop,
  RecentFile,
  RecoverableWork,
  PreflightReport,
  RunDocument,
  RemoteListing,
  RunFile,
  RunFileChunk,
  RunFolderListing,
  RunRecord,
  StartRunRequest,
  TargetProfile,
  RunOptionsSetting,
  SshHostsListing,
  SshPrompt,
  SshPromptAnswer,
  TargetEntry,
  TargetsOverview,
  TargetTestReport,
} from './types';
import { zTargetProfile } from '../targets/schema';

/**
 * The contract between the UI and the backend. One interface per domain; every method returns
 * Promise<Result<T>>. Implemented once in electron/backend and served by three front doors:
 * Electron IPC (main.ts/preload.ts), the browser host (web.ts) and the CLI (cli.ts).
 */
export interface FluxoServices {
  host: {
    info(): Promise<Result<HostInfo>>;
  };
  catalog: {
    list(): Promise<Result<CatalogSnapshot>>;
  };
  targets: {
    list(): Promise<Result<TargetProfile[]>>;
    /** Every profile with where it comes from, for the "Clusters and connections" screen. */
    overview(): Promise<Result<TargetsOverview>>;
    /**
     * Saves one of the user's own profiles as <FLUXO_HOME>/targets/ID.yaml, checked by the profile
     * schema. `previousId`: the profile being edited (renaming removes its old file); null: a new one.
     */
    save(profile: TargetProfile, previousId: string | null): Promise<Result<TargetEntry>>;
    /** Deletes one of the user's own profiles (a shipped one cannot be deleted). */
    remove(id: string): Promise<Result<{ id: string }>>;
    /** The Host entries of the user's ssh config. */
    sshHosts(): Promise<Result<SshHostsListing>>;
    /** Like `fluxo targets import HOST --like PROFILE --id ID`. */
    importSshHost(host: string, likeId: string, id: string): Promise<Result<TargetEntry>>;
    /** Like `fluxo targets test ID`: host key, login, Slurm, partitions, work root. */
    test(id: string): Promise<Result<TargetTestReport>>;
  };
  settings: {
    /** Account, QoS and reservation per cluster target (<FLUXO_HOME>/settings.json). */
    runOptions(): Promise<Result<Record<string, RunOptionsSetting>>>;
    setRunOptions(targetId: string, options: RunOptionsSetting): Promise<Result<Record<string, RunOptionsSetting>>>;
  };
  prompts: {
    /** The login question shown now, if any (a window that opens late asks for it). */
    pending(): Promise<Result<SshPrompt | null>>;
    /** Answers a login question; E514 when it is no longer asked (answered elsewhere, timed out). */
    answer(id: string, answer: SshPromptAnswer): Promise<Result<{ id: string }>>;
  };
  examples: {
    list(): Promise<Result<ExampleSummary[]>>;
    open(id: string): Promise<Result<OpenedDocument>>;
  };
  documents: {
    open(path: string): Promise<Result<OpenedDocument>>;
    /** Writes atomically: a failed save leaves the previous file intact. */
    save(path: string, document: PipelineDocument): Promise<Result<{ path: string }>>;
    /**
     * Lists a folder for the in-app file dialog (the browser host has no native one): sub-folders
     * and the files with one of `extensions` (null: pipelines, ".fluxo").
     */
    browse(folder: string | null, extensions: string[] | null): Promise<Result<FolderListing>>;
    /** Recently opened or saved pipelines, newest first (updated by open and save). */
    recent(): Promise<Result<RecentFile[]>>;
    /** Removes one file from the recent list (the file itself is untouched). */
    forgetRecent(path: string): Promise<Result<void>>;
  };
  autosave: {
    /** Keeps a window's unsaved pipeline in <home>/autosave/<session>.fluxo (atomically), with its saved path. */
    write(session: string, document: PipelineDocument, path: string | null): Promise<Result<void>>;
    /** Tells other windows this session is still alive (its autosave is not theirs to offer). */
    heartbeat(session: string): Promise<Result<void>>;
    /** Removes a session's autosave: after a clean save, a deliberate close, or a restore/discard. */
    discard(session: string): Promise<Result<void>>;
    /** Autosaves left by sessions that are gone (and by earlier pages of `session` itself). */
    recoverable(session: string): Promise<Result<RecoverableWork[]>>;
  };
  workshops: {
    /** Writes a .fluxopack: the pipeline, the data its path params read (size-capped), its notes as instructions. */
    export(document: PipelineDocument, packPath: string): Promise<Result<{ path: string; bytes: number }>>;
    /** Unpacks a pack into <home>/workshops/<name>-<n>/ after checking it; returns the student's copy. */
    open(packPath: string): Promise<Result<OpenedWorkshop>>;
    /** The original pipeline of the workshop whose student copy is at `path` ("Reset to the original"). */
    original(path: string): Promise<Result<OpenedDocument>>;
  };
  dialogs: {
    /** Native dialogs; E104 Unsupported where the host has none. Null when the user cancels. */
    openPipeline(): Promise<Result<string | null>>;
    savePipeline(suggestedName: string): Promise<Result<string | null>>;
    pickFile(extensions: string[]): Promise<Result<string | null>>;
    /** Native dialogs for workshop packs (.fluxopack). */
    openPack(): Promise<Result<string | null>>;
    savePack(suggestedName: string): Promise<Result<string | null>>;
    /** Where to export a run: a native save dialog for a .zip or .tar.gz; E104 without one. */
    saveArchive(suggestedName: string): Promise<Result<string | null>>;
    /** A native folder picker; E104 where the host has none. Null when the user cancels. */
    pickFolder(): Promise<Result<string | null>>;
  };
  runs: {
    start(request: StartRunRequest): Promise<Result<RunRecord>>;
    cancel(runId: string): Promise<Result<RunRecord>>;
    get(runId: string): Promise<Result<RunRecord>>;
    list(): Promise<Result<RunRecord[]>>;
    /** Reads a file of a run (figures, metrics, report) for display; confined to the run folder. */
    readFile(runId: string, path: string): Promise<Result<RunFile>>;
    /** What pressing Run would do: problems, resources against limits, core-hours, data to upload. */
    preflight(request: StartRunRequest): Promise<Result<PreflightReport>>;
    /** The exact pipeline a past run ran (kept in its folder), with its record. */
    document(runId: string): Promise<Result<RunDocument>>;
    /** Reads up to 1 MiB of a run file from `offset`: large tables are shown a page at a time. */
    readRange(runId: string, path: string, offset: number, length: number): Promise<Result<RunFileChunk>>;
    /** Lists a folder output of a run (a DICOM series, a folder of slices). */
    listFiles(runId: string, path: string): Promise<Result<RunFolderListing>>;
    /** Shows the run folder in the system's file manager; E104 where the host cannot (a browser). */
    openFolder(runId: string): Promise<Result<{ path: string }>>;
    /** Writes the run's outputs and logs to a .zip or .tar.gz at `dest`. */
    export(runId: string, dest: string): Promise<Result<ExportedRun>>;
  };
  remote: {
    /**
     * Lists a folder on a cluster target over SFTP, for picking data already there. `path` null:
     * the profile's work root when it exists, else the user's home folder.
     */
    browse(targetId: string, path: string | null): Promise<Result<RemoteListing>>;
  };
}

/** What the UI sees as window.fluxo: the services plus one event subscription. */
export type FluxoApi = FluxoServices & {
  events: { subscribe(listener: FluxoEventListener): () => void };
};

type ArgSchemas<S> = {
  [Svc in keyof S]: {
    // Each method's runtime argument schema must produce exactly its parameter tuple.
    [M in keyof S[Svc]]: S[Svc][M] extends (...args: infer A) => unknown ? z.ZodType<A> : never;
  };
};

const zRunId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'not a run id');
/** An account, QoS or reservation: empty, or a plain Slurm name (the compiler checks it again). */
const zSlurmValue = z.string().max(64).regex(/^$|^[A-Za-z0-9][A-Za-z0-9_.+-]*$/, 'must be a plain Slurm name');
const zTargetId = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'not a target id');
const zPath = z.string().min(1).max(4096).refine((s) => !s.includes('\0'), 'path must not contain NUL');
const zSession = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$/, 'not a session id');

/** What starting a run (or asking what it would do) takes. */
const zStartRunRequest = z.object({
  document: zPipelineDocument,
  targetId: z.string().min(1).max(64),
  pipelinePath: zPath.nullable().optional(),
  runDir: zPath.nullable().optional(),
  account: zSlurmValue.nullable().optional(),
  qos: zSlurmValue.nullable().optional(),
  reservation: zSlurmValue.nullable().optional(),
  rerun: z
    .object({ runId: zRunId, from: z.union([z.literal('failed'), z.object({ step: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/) })]) })
    .nullable()
    .optional(),
  useCache: z.boolean().optional(),
  checksum: z.boolean().optional(),
});

/**
 * The runtime list of methods with their argument schemas. The `satisfies` clause fails the build
 * when a method of FluxoServices is missing here or has a different parameter list.
 */
export const contract = {
  host: { info: z.tuple([]) },
  catalog: { list: z.tuple([]) },
  targets: {
    list: z.tuple([]),
    overview: z.tuple([]),
    // The backend checks the profile again (YAML round trip + cross-field checks) before writing.
    save: z.tuple([zTargetProfile, zTargetId.nullable()]),
    remove: z.tuple([zTargetId]),
    sshHosts: z.tuple([]),
    importSshHost: z.tuple([z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'not a Host name'), zTargetId, zTargetId]),
    test: z.tuple([zTargetId]),
  },
  settings: {
    runOptions: z.tuple([]),
    setRunOptions: z.tuple([zTargetId, z.object({ account: zSlurmValue, qos: zSlurmValue, reservation: zSlurmValue })]),
  },
  prompts: {
    pending: z.tuple([]),
    answer: z.tuple([
      z.string().regex(/^p[0-9]{1,12}$/, 'not a prompt id'),
      z.union([
        z.object({ kind: z.literal('hostKey'), trust: z.boolean() }),
        z.object({ kind: z.literal('secret'), value: z.string().max(4096).refine((s) => !s.includes('\0'), 'must not contain NUL').nullable(), remember: z.boolean() }),
      ]),
    ]),
  },
  examples: {
    list: z.tuple([]),
    open: z.tuple([z.string().regex(/^[a-z0-9-]{1,64}$/, 'not an example id')]),
  },
  documents: {
    open: z.tuple([zPath]),
    save: z.tuple([zPath, zPipelineDocument]),
    browse: z.tuple([zPath.nullable(), z.array(z.string().regex(/^\.[a-z0-9]+$/)).max(20).nullable()]),
    recent: z.tuple([]),
    forgetRecent: z.tuple([zPath]),
  },
  autosave: {
    write: z.tuple([zSession, zPipelineDocument, zPath.nullable()]),
    heartbeat: z.tuple([zSession]),
    discard: z.tuple([zSession]),
    recoverable: z.tuple([zSession]),
  },
  workshops: {
    export: z.tuple([zPipelineDocument, zPath]),
    open: z.tuple([zPath]),
    original: z.tuple([zPath]),
  },
  dialogs: {
    openPipeline: z.tuple([]),
    savePipeline: z.tuple([z.string().max(200)]),
    pickFile: z.tuple([z.array(z.string().regex(/^\.[a-z0-9]+$/)).max(20)]),
    openPack: z.tuple([]),
    savePack: z.tuple([z.string().max(200)]),
    saveArchive: z.tuple([z.string().max(200).refine((s) => !s.includes('\0'), 'name must not contain NUL')]),
    pickFolder: z.tuple([]),
  },
  runs: {
    start: z.tuple([zStartRunRequest]),
    cancel: z.tuple([zRunId]),
    get: z.tuple([zRunId]),
    list: z.tuple([]),
    readFile: z.tuple([zRunId, zPath]),
    preflight: z.tuple([zStartRunRequest]),
    document: z.tuple([zRunId]),
    readRange: z.tuple([zRunId, zPath, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.number().int().min(1).max(1024 * 1024)]),
    listFiles: z.tuple([zRunId, zPath]),
    openFolder: z.tuple([zRunId]),
    export: z.tuple([zRunId, zPath.refine((s) => /\.(zip|tar\.gz|tgz)$/i.test(s), 'must end with .zip or .tar.gz')]),
  },
  remote: {
    // Remote paths are POSIX and absolute: no "~", no NUL, no line breaks.
    browse: z.tuple([
      z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'not a target id'),
      z.string().max(4096).regex(/^\/[^\0\r\n]*$/, 'must be an absolute path on the cluster').nullable(),
    ]),
  },
} satisfies ArgSchemas<FluxoServices>;

export type ServiceName = keyof FluxoServices;

/** Every "service.method" channel, in a stable order: what preload exposes and main registers. */
export function contractChannels(): string[] {
  const out: string[] = [];
  for (const [svc, methods] of Object.entries(contract)) for (const m of Object.keys(methods)) out.push(`${svc}.${m}`);
  return out.sort();
}

/** The single IPC/WebSocket channel for events. */
export const EVENT_CHANNEL = 'fluxo:events';
/** Prefix of request channels over IPC: "fluxo:" + "runs.start". */
export const CHANNEL_PREFIX = 'fluxo:';

/** Looks up the argument schema of a "service.method" channel, or undefined when unknown. */
export function argSchema(channel: string): z.ZodType<unknown[]> | undefined {
  const [svc, method, ...rest] = channel.split('.');
  if (!svc || !method || rest.length > 0) return undefined;
  if (!Object.prototype.hasOwnProperty.call(contract, svc)) return undefined;
  const methods = contract[svc as ServiceName] as Record<string, z.ZodType<unknown[]>>;
  return Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
}

/** Calls a method of an implementation by channel name; used by every front door's dispatcher. */
export function dispatch(impl: FluxoServices, channel: string, args: unknown[]): Promise<Result<unknown>> {
  const [svc, method] = channel.split('.') as [ServiceName, string];
  const target = impl[svc] as unknown as Record<string, (...a: unknown[]) => Promise<Result<unknown>>>;
  const fn = target[method];
  if (!fn) throw new Error(`no implementation for ${channel}`);
  return fn.apply(target, args);
}
