import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_PERMISSIONS,
  APP_ORIGIN,
  buildWindowOptions,
  fluxoFileFromArgv,
  isAllowedNavigation,
  isAppUrl,
  isPermissionAllowed,
  isTrustedSender,
  shouldOpenExternally,
  startUrl,
} from './windowOptions';

const preload = path.resolve('/opt/Fluxo/resources/app.asar/dist/electron/preload.cjs');

describe('buildWindowOptions', () => {
  const options = buildWindowOptions(preload);

  it('isolates and sandboxes the renderer, with no Node anywhere', () => {
    expect(options.webPreferences).toEqual({
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      disableBlinkFeatures: 'Auxclick',
    });
  });

  it('has a title, a usable minimum size, a background colour and waits for ready-to-show', () => {
    expect(options.title).toBe('Fluxo');
    expect(options.minWidth).toBeGreaterThanOrEqual(800);
    expect(options.minHeight).toBeGreaterThanOrEqual(600);
    expect(options.width).toBeGreaterThanOrEqual(options.minWidth);
    expect(options.height).toBeGreaterThanOrEqual(options.minHeight);
    expect(options.backgroundColor).toMatch(/^#[0-9a-f]{6}$/i);
    expect(options.show).toBe(false);
  });

  it('refuses a relative preload path (Electron would resolve it against an unknown folder)', () => {
    expect(() => buildWindowOptions('preload.cjs')).toThrow(/absolute/);
  });
});

describe('isAppUrl / isAllowedNavigation', () => {
  it.each([`${APP_ORIGIN}/`, `${APP_ORIGIN}/index.html`, `${APP_ORIGIN}/index.html?open=%2Fx.fluxo`, 'app://fluxo/assets/a.js#x'])('allows %s', (url) => {
    expect(isAppUrl(url)).toBe(true);
    expect(isAllowedNavigation(url)).toBe(true);
  });

  it.each([
    'https://example.org/',
    'http://127.0.0.1:4000/',
    'file:///etc/passwd',
    'app://evil/index.html',
    'app://fluxo.evil/index.html',
    'app://user@fluxo/index.html',
    'app://fluxo:8080/index.html',
    'javascript:alert(1)',
    'data:text/html,<script>1</script>',
    'about:blank',
    'not a url',
    '',
  ])('refuses %s', (url) => {
    expect(isAllowedNavigation(url)).toBe(false);
  });
});

describe('isTrustedSender', () => {
  it("trusts only the app's page in a top frame", () => {
    expect(isTrustedSender('app://fluxo/index.html')).toBe(true);
    expect(isTrustedSender('app://fluxo/index.html', true)).toBe(true);
  });

  it('never trusts a subframe, even of the app (a report in an iframe)', () => {
    expect(isTrustedSender('app://fluxo/index.html', false)).toBe(false);
  });

  it('never trusts other pages or a missing frame', () => {
    expect(isTrustedSender('about:srcdoc')).toBe(false);
    expect(isTrustedSender('https://example.org/')).toBe(false);
    expect(isTrustedSender('file:///home/u/index.html')).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
  });
});

describe('shouldOpenExternally', () => {
  it('sends https links to the system browser', () => {
    expect(shouldOpenExternally('https://scikit-learn.org/stable/')).toBe(true);
  });

  it.each(['http://example.org/', 'file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'app://fluxo/', 'https://user:pw@example.org/', 'nonsense'])(
    'never opens %s',
    (url) => expect(shouldOpenExternally(url)).toBe(false),
  );
});

describe('permissions', () => {
  it('denies every permission', () => {
    expect(ALLOWED_PERMISSIONS).toEqual([]);
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'fullscreen', 'openExternal', 'fileSystem', 'hid', 'serial', 'usb', 'unknown']) {
      expect(isPermissionAllowed(p), p).toBe(false);
    }
  });
});

describe('startUrl', () => {
  it('loads the page, with a file to open encoded in ?open=', () => {
    expect(startUrl()).toBe('app://fluxo/index.html');
    expect(startUrl(null)).toBe('app://fluxo/index.html');
    const url = startUrl('/home/ana/My pipelines/a&b#1.fluxo');
    expect(url).toBe('app://fluxo/index.html?open=%2Fhome%2Fana%2FMy%20pipelines%2Fa%26b%231.fluxo');
    expect(new URL(url).searchParams.get('open')).toBe('/home/ana/My pipelines/a&b#1.fluxo');
  });
});

describe('fluxoFileFromArgv', () => {
  const cwd = path.resolve('/home/ana');

  it('finds the file in a packaged app argv and makes it absolute', () => {
    expect(fluxoFileFromArgv(['/opt/Fluxo/fluxo-app', 'study.fluxo'], cwd)).toBe(path.join(cwd, 'study.fluxo'));
  });

  it('skips the app folder of a development run and Chromium switches', () => {
    expect(fluxoFileFromArgv(['electron', '.', '--enable-logging', '--original-process-start-time=1', 'a/B.FLUXO'], cwd)).toBe(path.join(cwd, 'a/B.FLUXO'));
  });

  it('returns null when no .fluxo file is named', () => {
    expect(fluxoFileFromArgv(['fluxo-app'], cwd)).toBeNull();
    expect(fluxoFileFromArgv(['fluxo-app', '--inspect', 'notes.txt'], cwd)).toBeNull();
    expect(fluxoFileFromArgv(['/path/to.fluxo'], cwd)).toBeNull(); // argv[0] is the executable
  });
});
