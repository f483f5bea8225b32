// Electron's main process: one front door to the backend. Windows load the renderer from the
// privileged app://fluxo origin (never file://), are sandboxed with context isolation, and reach
// the backend only through the contract's channels, each checked for its sender frame.
import path from 'node:path';
import type { BrowserWindowConstructorOptions, OpenDialogOptions, WebContents } from 'electron';
import { app, BrowserWindow, dialog, ipcMain, protocol, safeStorage, session, shell } from 'electron';
import { EVENT_CHANNEL } from '../shared/api';
import type { Backend, DialogProvider } from './backend';
import { createBackend, defaultHomeDir, defaultResourcesDir, FLUXO_VERSION } from './backend';
import { createClusterConnections } from './backend/clusters';
import { SafeStorageSecretStore } from './ssh/secrets';
import { UiPrompter } from './ssh/uiPrompter';
import { openPipelineOptions, pickFileOptions, savePipelineOptions } from './host/dialogOptions';
import { registerContract } from './host/ipcContract';
import { openableFileFromArgv, openFileEvents, openPackOptions, savePackOptions, withPackFilter } from './host/openFiles';
import { contentSecurityPolicy, staticResponse, textResponse } from './security';
import {
  APP_HOST,
  APP_SCHEME,
  buildWindowOptions,
  isAllowedNavigation,
  isPermissionAllowed,
  shouldOpenExternally,
  startUrl,
} from './windowOptions';

// The bundle lives in dist/electron/; the renderer build in dist/renderer/ (inside app.asar when packaged).
const rendererDir = path.join(__dirname, '..', 'renderer');
const preloadPath = path.join(__dirname, 'preload.cjs');
const homeDir = defaultHomeDir();
const csp = contentSecurityPolicy();

// Privileged schemes must be declared before `ready`. `standard` gives app://fluxo a real origin
// (relative URLs, localStorage), `secure` makes it a secure context, fetch works on it. Not
// `corsEnabled`: that would let other origins read app:// responses; same-origin module scripts
// load without it.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();

// With FLUXO_HOME set (tests, a second profile), Chromium's own profile moves there as well, so two
// homes never share a single-instance lock or cookies.
if (process.env.FLUXO_HOME) app.setPath('userData', path.join(homeDir, '.electron'));

let backend: Backend | null = null;
/** A file the system asked to open before the first window existed (macOS open-file before ready). */
let pendingOpen: string | null = openableFileFromArgv(process.argv, process.cwd());

if (!app.requestSingleInstanceLock()) {
  // Another Fluxo runs: it receives our argv through 'second-instance' and opens the file there.
  app.quit();
} else {
  app.on('second-instance', (_event, argv, workingDirectory) => {
    const file = openableFileFromArgv(argv, workingDirectory);
    if (file) openFromSystem(file);
    else focusSomeWindow();
  });
  app.on('open-file', (event, file) => {
    event.preventDefault();
    if (app.isReady()) openFromSystem(file);
    else pendingOpen = file;
  });
  app.on('web-contents-created', (_event, contents) => harden(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) createWindow(null);
  });
  let disposed = false;
  app.on('will-quit', (event) => {
    if (disposed || !backend) return;
    // Runs are cancelled and their processes reaped before the app exits.
    event.preventDefault();
    const b = backend;
    backend = null;
    void b
      .dispose()
      .catch((e: unknown) => console.error('Fluxo: stopping runs failed:', e))
      .finally(() => {
        disposed = true;
        app.quit();
      });
  });
  app
    .whenReady()
    .then(start)
    .catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      console.error(`Fluxo could not start: ${message}`);
      dialog.showErrorBox('Fluxo could not start', message);
      app.exit(1);
    });
}

function start(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback) => callback(isPermissionAllowed(permission)));
  ses.setPermissionCheckHandler((_contents, permission) => isPermissionAllowed(permission));
  ses.setDevicePermissionHandler(() => false);

  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const answer =
      url.host !== APP_HOST || (request.method !== 'GET' && request.method !== 'HEAD')
        ? textResponse(404, 'Not found.')
        : await staticResponse(rendererDir, url.pathname, csp);
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
  });

  // Login questions go to the windows; "Remember" keeps a password only in the system keychain.
  const prompter = new UiPrompter({ secrets: new SafeStorageSecretStore(safeStorage, path.join(app.getPath('userData'), 'secrets.json')) });
  app.once('will-quit', () => prompter.cancelAll());
  backend = createBackend({
    hostKind: 'electron',
    resourcesDir: defaultResourcesDir(),
    homeDir,
    dialogs: nativeDialogs(path.join(homeDir, 'pipelines')),
    version: FLUXO_VERSION,
    clusters: createClusterConnections({ prompter, homeDir }),
    prompts: prompter,
    reattachOnStart: true,
    openPath: (folder) => shell.openPath(folder),
  });
  registerContract(ipcMain, backend.services);
  backend.subscribe((batch) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed() && !win.webContents.isDestroyed()) win.webContents.send(EVENT_CHANNEL, batch);
    }
  });

  const file = pendingOpen;
  pendingOpen = null;
  createWindow(file);
}

/**
 * One window per pipeline: a file opened from the system while Fluxo runs gets its own window
 * (replacing the current page would lose unsaved edits). The renderer reads `?open=` on start.
 */
function createWindow(openPath: string | null): BrowserWindow {
  const options: BrowserWindowConstructorOptions = buildWindowOptions(preloadPath);
  const win = new BrowserWindow(options);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(startUrl(openPath));
  return win;
}

/**
 * A file from the system while Fluxo runs goes to the window in front, which asks to save its
 * changes before opening it; a new window only when there is none.
 */
function openFromSystem(file: string): void {
  const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  if (!win || win.isDestroyed() || win.webContents.isDestroyed()) {
    createWindow(file);
    return;
  }
  if (win.isMinimized()) win.restore();
  win.focus();
  win.webContents.send(EVENT_CHANNEL, openFileEvents(file));
}

function focusSomeWindow(): void {
  const win = BrowserWindow.getAllWindows()[0];
  if (!win) {
    createWindow(null);
    return;
  }
  if (win.isMinimized()) win.restore();
  win.focus();
}

/** Applied to every webContents (windows, and anything a page might try to create). */
function harden(contents: WebContents): void {
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.on('will-navigate', (event) => {
    if (!isAllowedNavigation(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (event.isMainFrame && !isAllowedNavigation(event.url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (shouldOpenExternally(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

function nativeDialogs(pipelinesFolder: string): DialogProvider {
  const parent = () => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  const pickOne = async (options: OpenDialogOptions) => {
    const win = parent();
    const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return r.canceled ? null : (r.filePaths[0] ?? null);
  };
  return {
    openPipeline: () => pickOne(withPackFilter(openPipelineOptions(pipelinesFolder))),
    openPack: () => pickOne(openPackOptions(pipelinesFolder)),
    async savePack(suggestedName) {
      const options = savePackOptions(pipelinesFolder, suggestedName);
      const win = parent();
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    async savePipeline(suggestedName) {
      const options = savePipelineOptions(pipelinesFolder, suggestedName);
      const win = parent();
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    pickFile: (extensions) => pickOne(pickFileOptions(extensions)),
    async saveArchive(suggestedName) {
      const options = { defaultPath: suggestedName, filters: [{ name: 'Archive', extensions: ['zip', 'gz', 'tgz'] }] };
      const win = parent();
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    pickFolder: () => pickOne({ title: 'Choose a folder', properties: ['openDirectory'] }),
  };
}
