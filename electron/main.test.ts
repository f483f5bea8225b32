// main.ts wired to a FAKE 'electron' module: Electron itself cannot run here (no binary), so this
// checks the wiring main.ts does (what it registers, when, with which options and handlers), not
// Electron's behaviour. The backend is the real one, on a temp home.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Mock } from 'vitest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHANNEL_PREFIX, contractChannels } from '../shared/api';
import type { Result } from '../shared/api';
import { buildWindowOptions, startUrl } from './windowOptions';

type Listener = (...args: unknown[]) => unknown;

interface FakeWindow {
  options: unknown;
  url: string | null;
  shown: boolean;
  focused: number;
  webContents: { send: ReturnType<typeof vi.fn>; isDestroyed(): boolean };
}

interface Fake {
  calls: string[];
  ready(): void;
  app: EventEmitter & { quitCalls: number; paths: Record<string, string>; isReadyNow: boolean };
  schemes: unknown[];
  protocolHandlers: Map<string, (request: { url: string; method: string }) => Promise<Response>>;
  ipc: Map<string, (event: unknown, ...args: unknown[]) => Promise<Result<unknown>>>;
  permissionRequest: ((wc: unknown, permission: string, callback: (granted: boolean) => void) => void) | null;
  permissionCheck: ((wc: unknown, permission: string) => boolean) | null;
  windows: FakeWindow[];
  openExternal: Mock<(url: string) => Promise<void>>;
  showOpenDialog: Mock<(...args: unknown[]) => Promise<{ canceled: boolean; filePaths: string[] }>>;
  showSaveDialog: Mock<(...args: unknown[]) => Promise<{ canceled: boolean; filePath?: string }>>;
}

vi.mock('electron', () => {
  const calls: string[] = [];
  let resolveReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((r) => (resolveReady = r));
  const app = Object.assign(new EventEmitter(), {
    quitCalls: 0,
    paths: {} as Record<string, string>,
    isReadyNow: false,
    requestSingleInstanceLock: () => {
      calls.push('requestSingleInstanceLock');
      return true;
    },
    enableSandbox: () => calls.push(`enableSandbox ready=${app.isReadyNow}`),
    setPath: (name: string, value: string) => {
      calls.push(`setPath ${name}`);
      app.paths[name] = value;
    },
    whenReady: () => readyPromise,
    getPath: (name: string) => app.paths[name] ?? `/nonexistent/fluxo-test/${name}`,
    isReady: () => app.isReadyNow,
    quit: () => {
      app.quitCalls++;
    },
    exit: (code: number) => calls.push(`exit ${code}`),
  });
  const fake: Partial<Fake> = {
    calls,
    app,
    schemes: [],
    protocolHandlers: new Map(),
    ipc: new Map(),
    permissionRequest: null,
    permissionCheck: null,
    windows: [],
    openExternal: vi.fn(async (_url: string) => undefined),
    showOpenDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: false, filePaths: ['/home/ana/study.fluxo'] })),
    showSaveDialog: vi.fn(async (..._args: unknown[]): Promise<{ canceled: boolean; filePath?: string }> => ({ canceled: true })),
  };
  fake.ready = () => {
    app.isReadyNow = true;
    resolveReady();
  };
  class BrowserWindow {
    private events = new EventEmitter();
    state: FakeWindow;
    constructor(options: unknown) {
      this.state = { options, url: null, shown: false, focused: 0, webContents: { send: vi.fn(), isDestroyed: () => false } };
      fake.windows!.push(this.state);
      all.push(this);
    }
    get webContents() {
      return this.state.webContents;
    }
    once(event: string, l: Listener) {
      this.events.once(event, l);
      if (event === 'ready-to-show') queueMicrotask(() => this.events.emit('ready-to-show'));
      return this;
    }
    show() {
      this.state.shown = true;
    }
    loadURL(url: string) {
      this.state.url = url;
      return Promise.resolve();
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {
      this.state.focused++;
    }
    static getAllWindows() {
      return all;
    }
    static getFocusedWindow() {
      return all[0] ?? null;
    }
  }
  const all: BrowserWindow[] = [];
  return {
    __fake: fake,
    app,
    BrowserWindow,
    // No keychain in tests: the secret store must refuse to keep anything.
    safeStorage: { isEncryptionAvailable: () => false, encryptString: () => Buffer.alloc(0), decryptString: () => '' },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => {
        calls.push(`registerSchemesAsPrivileged ready=${app.isReadyNow}`);
        fake.schemes!.push(...schemes);
      },
      handle: (scheme: string, handler: (request: { url: string; method: string }) => Promise<Response>) => fake.protocolHandlers!.set(scheme, handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: Fake['permissionRequest']) => (fake.permissionRequest = h),
        setPermissionCheckHandler: (h: Fake['permissionCheck']) => (fake.permissionCheck = h),
        setDevicePermissionHandler: () => calls.push('setDevicePermissionHandler'),
      },
    },
    ipcMain: { handle: (channel: string, l: (event: unknown, ...args: unknown[]) => Promise<Result<unknown>>) => fake.ipc!.set(channel, l) },
    dialog: {
      showOpenDialog: (...a: unknown[]) => fake.showOpenDialog!(...a),
      showSaveDialog: (...a: unknown[]) => fake.showSaveDialog!(...a),
      showErrorBox: (title: string, message: string) => calls.push(`showErrorBox ${title}: ${message}`),
    },
    shell: { openExternal: (url: string) => fake.openExternal!(url) },
  };
});

const repo = path.resolve(__dirname, '..');
const home = mkdtempSync(path.join(os.tmpdir(), 'fluxo-main-'));
const opened = path.join(home, 'from the system.fluxo');
let fake: Fake;
const saved = { argv: process.argv, home: process.env.FLUXO_HOME, resources: process.env.FLUXO_RESOURCES };

beforeAll(async () => {
  process.env.FLUXO_HOME = home;
  process.env.FLUXO_RESOURCES = path.join(repo, 'resources');
  // A double-clicked pipeline arrives as an argument of the app.
  process.argv = ['/opt/Fluxo/fluxo-app', opened];
  await import('./main');
  fake = ((await import('electron')) as unknown as { __fake: Fake }).__fake;
});

afterAll(() => {
  process.argv = saved.argv;
  if (saved.home === undefined) delete process.env.FLUXO_HOME;
  else process.env.FLUXO_HOME = saved.home;
  if (saved.resources === undefined) delete process.env.FLUXO_RESOURCES;
  else process.env.FLUXO_RESOURCES = saved.resources;
  rmSync(home, { recursive: true, force: true });
});

const trusted = { senderFrame: { url: 'app://fluxo/index.html', parent: null } };

describe('main.ts before ready', () => {
  it('declares app:// privileged (standard, secure, fetch) and enables the sandbox before ready', () => {
    expect(fake.schemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect(fake.calls).toContain('registerSchemesAsPrivileged ready=false');
    expect(fake.calls).toContain('enableSandbox ready=false');
  });

  it('takes the single-instance lock, with Chromium data under FLUXO_HOME when it is set', () => {
    expect(fake.calls).toContain('requestSingleInstanceLock');
    expect(fake.app.paths.userData).toBe(path.join(home, '.electron'));
    expect(fake.calls.indexOf('setPath userData')).toBeLessThan(fake.calls.indexOf('requestSingleInstanceLock'));
  });

  it('registers nothing and opens no window until ready', () => {
    expect(fake.ipc.size).toBe(0);
    expect(fake.windows).toHaveLength(0);
  });
});

describe('main.ts once ready', () => {
  beforeAll(async () => {
    fake.ready();
    await new Promise((r) => setTimeout(r, 10));
  });

  it('denies every permission request and check', () => {
    const granted: boolean[] = [];
    for (const p of ['media', 'notifications', 'geolocation', 'clipboard-read']) fake.permissionRequest?.({}, p, (g) => granted.push(g));
    expect(granted).toEqual([false, false, false, false]);
    expect(fake.permissionCheck?.({}, 'media')).toBe(false);
    expect(fake.calls).toContain('setDevicePermissionHandler');
  });

  it('registers exactly the contract channels on ipcMain', () => {
    expect([...fake.ipc.keys()].sort()).toEqual(contractChannels().map((c) => CHANNEL_PREFIX + c));
  });

  it('opens one window with the hardened options, loading the file it was started with via ?open=', async () => {
    expect(fake.windows).toHaveLength(1);
    const [win] = fake.windows;
    expect(win?.options).toEqual(buildWindowOptions(path.join(__dirname, 'preload.cjs')));
    expect(win?.url).toBe(startUrl(opened));
    expect(win?.shown).toBe(true);
  });

  it('serves the renderer on app://fluxo with the CSP, and nothing for other hosts', async () => {
    const handler = fake.protocolHandlers.get('app');
    if (!handler) throw new Error('no app:// handler');
    const page = await handler({ url: 'app://fluxo/', method: 'GET' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self';");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toMatch(/<html/i);
    expect((await handler({ url: 'app://evil/', method: 'GET' })).status).toBe(404);
    expect((await handler({ url: 'app://fluxo/', method: 'POST' })).status).toBe(404);
    const traversal = await handler({ url: 'app://fluxo/%2e%2e/package.json', method: 'GET' });
    expect([403, 404]).toContain(traversal.status);
    expect(await traversal.text()).not.toContain('"devDependencies"');
  });

  it('answers the app page over IPC and refuses any other sender with E101', async () => {
    const info = fake.ipc.get('fluxo:host.info');
    if (!info) throw new Error('no host.info');
    expect(await info(trusted)).toMatchObject({ ok: true, value: { kind: 'electron', nativeDialogs: true } });
    expect(await info({ senderFrame: { url: 'app://fluxo/index.html', parent: {} } })).toMatchObject({ ok: false, error: { code: 'E101' } });
    expect(await info({ senderFrame: { url: 'https://evil.example/', parent: null } })).toMatchObject({ ok: false, error: { code: 'E101' } });
    expect(await info({ senderFrame: null })).toMatchObject({ ok: false, error: { code: 'E101' } });
  });

  it('shows native dialogs filtered to .fluxo files (and workshop packs)', async () => {
    const open = fake.ipc.get('fluxo:dialogs.openPipeline');
    if (!open) throw new Error('no dialogs.openPipeline');
    expect(await open(trusted)).toEqual({ ok: true, value: '/home/ana/study.fluxo' });
    const options = fake.showOpenDialog.mock.calls[0]?.at(-1) as { filters: unknown; defaultPath: string };
    expect(options.filters).toEqual([
      { name: 'Fluxo pipeline or workshop pack', extensions: ['fluxo', 'fluxopack'] },
      { name: 'Fluxo pipeline', extensions: ['fluxo'] },
    ]);
    expect(options.defaultPath).toBe(path.join(home, 'pipelines'));
    const save = fake.ipc.get('fluxo:dialogs.savePipeline');
    expect(await save?.(trusted, 'My study')).toEqual({ ok: true, value: null });
  });

  it('hardens every webContents: no navigation away, no webview, no new windows, https links go to the system browser', () => {
    const contents = Object.assign(new EventEmitter(), { openHandler: null as null | ((d: { url: string }) => unknown) });
    Object.assign(contents, { setWindowOpenHandler: (h: (d: { url: string }) => unknown) => (contents.openHandler = h) });
    fake.app.emit('web-contents-created', {}, contents);

    const navigate = (url: string, isMainFrame = true) => {
      const event = { url, isMainFrame, preventDefault: vi.fn() };
      contents.emit('will-navigate', event);
      contents.emit('will-redirect', event);
      return event.preventDefault.mock.calls.length;
    };
    expect(navigate('https://evil.example/')).toBe(2);
    expect(navigate('file:///etc/passwd')).toBe(2);
    expect(navigate('app://fluxo/index.html')).toBe(0);

    const webview = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', webview, {}, {});
    expect(webview.preventDefault).toHaveBeenCalled();

    expect(contents.openHandler?.({ url: 'https://scikit-learn.org/' })).toEqual({ action: 'deny' });
    expect(fake.openExternal).toHaveBeenCalledWith('https://scikit-learn.org/');
    fake.openExternal.mockClear();
    expect(contents.openHandler?.({ url: 'http://example.org/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(fake.openExternal).not.toHaveBeenCalled();
  });

  it('a second launch with a .fluxo file asks the open window to open it; without one it focuses Fluxo', () => {
    fake.app.emit('second-instance', {}, ['/opt/Fluxo/fluxo-app', 'other.fluxo'], '/home/ana');
    expect(fake.windows).toHaveLength(1);
    expect(fake.windows[0]?.webContents.send).toHaveBeenCalledWith('fluxo:events', [{ type: 'app.openFile', path: path.resolve('/home/ana', 'other.fluxo') }]);
    const focused = fake.windows[0]!.focused;
    fake.app.emit('second-instance', {}, ['/opt/Fluxo/fluxo-app'], '/home/ana');
    expect(fake.windows).toHaveLength(1);
    expect(fake.windows[0]?.focused).toBe(focused + 1);
  });

  it('macOS open-file after start (a pipeline or a workshop pack) goes to the open window too', () => {
    const event = { preventDefault: vi.fn() };
    fake.app.emit('open-file', event, '/Users/ana/class.fluxopack');
    expect(event.preventDefault).toHaveBeenCalled();
    expect(fake.windows).toHaveLength(1);
    expect(fake.windows[0]?.webContents.send).toHaveBeenLastCalledWith('fluxo:events', [{ type: 'app.openFile', path: '/Users/ana/class.fluxopack' }]);
  });

  it('on quit, waits for the backend to stop its runs, then quits', async () => {
    const event = { preventDefault: vi.fn() };
    fake.app.emit('will-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(fake.app.quitCalls).toBe(1));
    const again = { preventDefault: vi.fn() };
    fake.app.emit('will-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
  });
});
