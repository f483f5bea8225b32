import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FluxoServices, OpenedDocument } from '../../shared/api';
import { ErrorCode, err, fail, ok } from '../../shared/api';
import type { Catalog } from '../../shared/catalog';
import { DOCUMENT_EXTENSION, parseDocument, serializeDocument } from '../../shared/document';
import type { TargetProfile } from '../../shared/targets';
import { EventHub } from './events';
import { describeIoError, writeFileAtomic } from './fsutil';
import { loadCatalog, loadExampleIndex, loadTargets, summarizeExample } from './resources';
import { userTargetsDir } from './paths';
import { RunManager } from './runs';
import { RecentFiles } from './recent';
import { Autosaves } from './autosave';
import { Workshops } from './workshops';
import { preflightRun } from './preflight';
import { readRunDocument } from './runHistory';
import { exportRun, listFolder, readRange } from './runFiles';
import { createRemoteService } from './remoteFiles';
import type { Backend, BackendOptions } from './types';
import { returningFailures } from './serve';
import { createPromptsService, createTargetsService } from './targetsService';
import pkg from '../../package.json';

export { defaultHomeDir, defaultResourcesDir } from './paths';
export type { Backend, BackendOptions, DialogProvider } from './types';

/** package.json is the single source of the version. */
export const FLUXO_VERSION: string = pkg.version;

/** Reads a .fluxo file into a document, with messages that say what and where. */
export async function readDocumentFile(file: string): Promise<OpenedDocument> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    fail(ErrorCode.FileUnreadable, `could not open ${file}: ${describeIoError(e)}`);
  }
  const parsed = parseDocument(text);
  if (!parsed.ok) fail(ErrorCode.DocumentInvalid, `${path.basename(file)}: ${parsed.message}`, parsed.hint, parsed.problems);
  return { path: file, document: parsed.document, migratedFrom: parsed.migratedFrom };
}

/** The backend: every service of the contract, implemented once for all front doors. */
export function createBackend(options: BackendOptions): Backend {
  const hub = new EventHub();
  const blocksDir = path.join(options.resourcesDir, 'blocks');
  const examplesDir = path.join(options.resourcesDir, 'examples');
  const pipelinesFolder = path.join(options.homeDir, 'pipelines');

  // Loaded once per backend: definitions are validated at start-up, not on every call.
  let catalog: Promise<Catalog> | null = null;
  const getCatalog = () => (catalog ??= loadCatalog(blocksDir));
  let targets: Promise<TargetProfile[]> | null = null;
  // The user's own profiles (<home>/targets) add to the shipped ones or replace one with the same id.
  const getTargets = () => (targets ??= loadTargets(path.join(options.resourcesDir, 'targets'), userTargetsDir(options.homeDir)).then((t) => t.targets));
  const targetsService = createTargetsService({
    resourcesDir: options.resourcesDir,
    homeDir: options.homeDir,
    reload: () => (targets = null),
    clusters: options.clusters,
    sshConfigFile: options.sshConfigFile,
    secretsUnavailable: () => options.prompts?.secretsUnavailable() ?? 'this window cannot keep passwords',
  });
  options.prompts?.attach((e) => hub.emit(e));

  const runs = new RunManager({
    runsDir: path.join(options.homeDir, 'runs'),
    resourcesDir: options.resourcesDir,
    catalog: getCatalog,
    targets: getTargets,
    emit: (e) => hub.emit(e),
    clusters: options.clusters,
    pollMinMs: options.pollMinMs,
    pollMaxMs: options.pollMaxMs,
  });
  if (options.reattachOnStart) void runs.reattach().catch(() => undefined);

  const recent = new RecentFiles(options.homeDir);
  // The recent list is a convenience: failing to update it never fails an open or a save.
  const remember = (file: string, name: string) => recent.add(file, name).catch(() => undefined);
  const autosaves = new Autosaves(options.homeDir);
  const workshops = new Workshops({ homeDir: options.homeDir, catalog: getCatalog });

  const dialogs = options.dialogs;
  const noDialogs = () => err<string | null>(ErrorCode.Unsupported, 'this window cannot show system file dialogs', 'Use the file dialog inside Fluxo.');

  const services: FluxoServices = returningFailures({
    host: {
      async info() {
        return ok({
          kind: options.hostKind,
          nativeDialogs: dialogs !== undefined,
          version: options.version ?? FLUXO_VERSION,
          platform: process.platform,
          cores: os.availableParallelism(),
          pipelinesFolder,
        });
      },
    },
    catalog: {
      async list() {
        const c = await getCatalog();
        return ok({ blocks: c.blocks, problems: c.problems });
      },
    },
    targets: {
      async list() {
        return ok(await getTargets());
      },
      ...targetsService.targets,
    },
    settings: targetsService.settings,
    prompts: createPromptsService(options.prompts),
    examples: {
      async list() {
        const entries = await loadExampleIndex(examplesDir);
        const out = [];
        for (const entry of entries) {
          const opened = await readDocumentFile(path.join(examplesDir, entry.file));
          out.push(summarizeExample(entry, opened.document.steps.map((s) => s.type)));
        }
        return ok(out);
      },
      async open(id) {
        const entry = (await loadExampleIndex(examplesDir)).find((e) => e.id === id);
        if (!entry) return err(ErrorCode.UnknownExample, `there is no example "${id}"`);
        const opened = await readDocumentFile(path.join(examplesDir, entry.file));
        // An example opens as a new, unsaved pipeline so the shipped file is never overwritten.
        return ok({ ...opened, path: null });
      },
    },
    documents: {
      async open(file) {
        const opened = await readDocumentFile(path.resolve(file));
        await remember(opened.path!, opened.document.metadata.name);
        return ok(opened);
      },
      async save(file, document) {
        const target = path.resolve(file.endsWith(DOCUMENT_EXTENSION) ? file : `${file}${DOCUMENT_EXTENSION}`);
        try {
          await fs.mkdir(path.dirname(target), { recursive: true });
          await writeFileAtomic(target, serializeDocument(document));
        } catch (e) {
          return err(ErrorCode.FileUnwritable, `could not save ${target}: ${describeIoError(e)}`, 'The previous version of the file is unchanged. Free some space or save elsewhere.');
        }
        await remember(target, document.metadata.name);
        return ok({ path: target });
      },
      async browse(folder, extensions) {
        const wanted = extensions ?? [DOCUMENT_EXTENSION];
        const dir = path.resolve(folder ?? pipelinesFolder);
        if (folder === null) await fs.mkdir(dir, { recursive: true }).catch(() => undefined);
        let dirents;
        try {
          dirents = await fs.readdir(dir, { withFileTypes: true });
        } catch (e) {
          return err(ErrorCode.FileUnreadable, `could not list ${dir}: ${describeIoError(e)}`);
        }
        const entries = dirents
          .filter((d) => !d.name.startsWith('.') && (d.isDirectory() || wanted.some((x) => d.name.toLowerCase().endsWith(x))))
          .map((d) => ({ name: d.name, path: path.join(dir, d.name), kind: d.isDirectory() ? ('folder' as const) : ('file' as const) }))
          .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1));
        const parent = path.dirname(dir);
        return ok({ folder: dir, parent: parent === dir ? null : parent, entries });
      },
      async recent() {
        return ok(await recent.list());
      },
      async forgetRecent(file) {
        await recent.remove(file);
        return ok(undefined);
      },
    },
    autosave: {
      async write(session, document, docPath) {
        try {
          await autosaves.write(session, document, docPath);
        } catch (e) {
          return err(ErrorCode.FileUnwritable, `could not keep a copy of the unsaved changes: ${describeIoError(e)}`, 'Save the pipeline to keep your changes.');
        }
        return ok(undefined);
      },
      async heartbeat(session) {
        await autosaves.heartbeat(session).catch(() => undefined);
        return ok(undefined);
      },
      async discard(session) {
        await autosaves.discard(session);
        return ok(undefined);
      },
      async recoverable(session) {
        return ok(await autosaves.recoverable(session));
      },
    },
    workshops: {
      async export(document, packPath) {
        return ok(await workshops.export(document, packPath));
      },
      async open(packPath) {
        const opened = await workshops.open(packPath);
        await remember(opened.path, opened.document.metadata.name);
        return ok(opened);
      },
      async original(file) {
        return ok(await workshops.original(file));
      },
    },
    dialogs: {
      async openPipeline() {
        return dialogs ? ok(await dialogs.openPipeline()) : noDialogs();
      },
      async savePipeline(name) {
        return dialogs ? ok(await dialogs.savePipeline(name)) : noDialogs();
      },
      async pickFile(extensions) {
        return dialogs ? ok(await dialogs.pickFile(extensions)) : noDialogs();
      },
      async openPack() {
        return dialogs?.openPack ? ok(await dialogs.openPack()) : noDialogs();
      },
      async savePack(name) {
        return dialogs?.savePack ? ok(await dialogs.savePack(name)) : noDialogs();
      },
      async saveArchive(name) {
        return dialogs?.saveArchive ? ok(await dialogs.saveArchive(name)) : noDialogs();
      },
      async pickFolder() {
        return dialogs?.pickFolder ? ok(await dialogs.pickFolder()) : noDialogs();
      },
    },
    runs: {
      async start(request) {
        return ok(await runs.start(request));
      },
      async cancel(id) {
        return ok(await runs.cancel(id));
      },
      async get(id) {
        return ok(await runs.get(id));
      },
      async list() {
        return ok(await runs.list());
      },
      async readFile(id, file) {
        return ok(await runs.readFile(id, file));
      },
      async preflight(request) {
        const deps = { catalog: getCatalog, targets: getTargets, runsDir: path.join(options.homeDir, 'runs'), cores: os.availableParallelism(), memoryMb: Math.floor(os.totalmem() / 2 ** 20) };
        return ok(await preflightRun(request, deps));
      },
      async document(id) {
        return ok(await readRunDocument((runId) => runs.get(runId), id));
      },
      async readRange(id, file, offset, length) {
        return ok(await readRange((await runs.get(id)).runDir, file, offset, length));
      },
      async listFiles(id, folder) {
        return ok(await listFolder((await runs.get(id)).runDir, folder));
      },
      async openFolder(id) {
        const { runDir } = await runs.get(id);
        if (!options.openPath) return err(ErrorCode.Unsupported, 'this window cannot open folders on the computer', `The run folder is ${runDir}.`);
        const problem = await options.openPath(runDir);
        return problem ? err(ErrorCode.OpenFolderFailed, `could not open ${runDir}: ${problem}`) : ok({ path: runDir });
      },
      async export(id, dest) {
        return ok(await exportRun(await runs.get(id), dest));
      },
    },
    remote: createRemoteService({ targets: getTargets, clusters: options.clusters }),
  });

  return {
    services,
    subscribe: (listener) => hub.subscribe(listener),
    dispose: async () => {
      await runs.dispose();
      hub.flush();
    },
    waitForRun: (id) => runs.wait(id),
    runManager: runs,
  };
}
