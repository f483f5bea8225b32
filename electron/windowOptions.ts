import path from 'node:path';

/**
 * The Electron window's settings and the predicates main.ts consults before trusting anything.
 * Pure (no electron import) so every setting and decision is unit-tested without Electron.
 */

/** The renderer's origin: the privileged `app` scheme, one host. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'fluxo';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The query parameter that carries a .fluxo file the system asked Fluxo to open. */
export const OPEN_PARAM = 'open';

/** The subset of Electron's BrowserWindowConstructorOptions that Fluxo sets (structurally compatible). */
export interface FluxoWindowOptions {
  title: string;
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  backgroundColor: string;
  show: boolean;
  autoHideMenuBar: boolean;
  webPreferences: {
    preload: string;
    contextIsolation: true;
    sandbox: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    nodeIntegrationInSubFrames: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    webviewTag: false;
    spellcheck: false;
    navigateOnDragDrop: false;
    safeDialogs: true;
    disableBlinkFeatures: string;
  };
}

/**
 * BrowserWindow options: the renderer is an untrusted web page with one door (the preload's
 * window.fluxo). Shown on `ready-to-show` to avoid a white flash.
 */
export function buildWindowOptions(preloadPath: string): FluxoWindowOptions {
  if (!path.isAbsolute(preloadPath)) throw new Error(`the preload path must be absolute: ${preloadPath}`);
  return {
    title: 'Fluxo',
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    backgroundColor: '#f6f8fa',
    show: false,
    autoHideMenuBar: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      // A pipeline dropped on the window must not replace the app with a file:// page.
      navigateOnDragDrop: false,
      safeDialogs: true,
      disableBlinkFeatures: 'Auxclick',
    },
  };
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True for URLs of the renderer's own origin (app://fluxo/...), nothing else. */
export function isAppUrl(url: string): boolean {
  const u = parse(url);
  // Node's URL gives non-special schemes an opaque origin, so compare the parts.
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

/** will-navigate / will-redirect: the window only ever shows the app's own pages. */
export function isAllowedNavigation(url: string): boolean {
  return isAppUrl(url);
}

/**
 * IPC sender check: the frame's URL must be the app's page. `isMainFrame` must also be true;
 * a report shown in an iframe is never allowed to call the backend.
 */
export function isTrustedSender(frameUrl: string | null | undefined, isMainFrame = true): boolean {
  return typeof frameUrl === 'string' && isMainFrame && isAppUrl(frameUrl);
}

/** Links the user clicks (window.open, target=_blank): only https goes to the system browser. */
export function shouldOpenExternally(url: string): boolean {
  const u = parse(url);
  return u !== null && u.protocol === 'https:' && u.username === '' && u.password === '';
}

/** Permissions the renderer may get. None: no camera, microphone, notifications, geolocation... */
export const ALLOWED_PERMISSIONS: readonly string[] = Object.freeze([]);

/** Both setPermissionRequestHandler and setPermissionCheckHandler answer with this. */
export function isPermissionAllowed(permission: string): boolean {
  return ALLOWED_PERMISSIONS.includes(permission);
}

/** The URL a window loads; `openPath` (a .fluxo file from the system) travels as `?open=`. */
export function startUrl(openPath?: string | null): string {
  const base = `${APP_ORIGIN}/index.html`;
  return openPath ? `${base}?${OPEN_PARAM}=${encodeURIComponent(openPath)}` : base;
}

/**
 * The .fluxo file named on a command line (a double-click, `fluxo-app file.fluxo`, or a second
 * instance's argv), made absolute against `cwd`. Flags and Chromium's own switches are skipped.
 */
export function fluxoFileFromArgv(argv: readonly string[], cwd: string): string | null {
  // argv[0] is the executable; in development argv[1] is the app folder (".").
  for (const arg of argv.slice(1)) {
    if (arg.startsWith('-')) continue;
    if (arg.toLowerCase().endsWith('.fluxo')) return path.resolve(cwd, arg);
  }
  return null;
}
