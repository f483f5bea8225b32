import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, LOCKED_DOWN_CSP, mimeTypeFor, resolveStaticFile, SECURITY_HEADERS, staticResponse, textResponse } from './security';

function directives(csp: string): Record<string, string[]> {
  return Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name as string, values]));
}

describe('contentSecurityPolicy', () => {
  it('allows only the app itself to run scripts, with inline styles for React Flow', () => {
    expect(directives(contentSecurityPolicy())).toEqual({
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:', 'blob:'],
      'connect-src': ["'self'"],
      'frame-src': ["'self'", 'data:', 'blob:'],
      'object-src': ["'none'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
  });

  it("never allows inline or eval'd scripts", () => {
    const csp = contentSecurityPolicy({ webSocketPort: 4000 });
    expect(csp).not.toContain("'unsafe-eval'");
    expect(directives(csp)['script-src']).toEqual(["'self'"]);
  });

  it("lets the browser host's page reach its own WebSocket, on both loopback names, and nothing else", () => {
    expect(directives(contentSecurityPolicy({ webSocketPort: 41234 }))['connect-src']).toEqual(["'self'", 'ws://127.0.0.1:41234', 'ws://localhost:41234']);
  });

  it('refuses a port that is not one (it would corrupt the header)', () => {
    expect(() => contentSecurityPolicy({ webSocketPort: 0 })).toThrow();
    expect(() => contentSecurityPolicy({ webSocketPort: 70000 })).toThrow();
    expect(() => contentSecurityPolicy({ webSocketPort: 1.5 })).toThrow();
  });

  it('locks error pages down completely', () => {
    expect(directives(LOCKED_DOWN_CSP)['default-src']).toEqual(["'none'"]);
    expect(directives(LOCKED_DOWN_CSP)['frame-ancestors']).toEqual(["'none'"]);
  });
});

describe('SECURITY_HEADERS', () => {
  it('forbids sniffing, referrers and cross-origin openers', () => {
    expect(SECURITY_HEADERS).toMatchObject({
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
    });
    expect(Object.isFrozen(SECURITY_HEADERS)).toBe(true);
  });
});

describe('mimeTypeFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['assets/index-abc.js', 'text/javascript; charset=utf-8'],
    ['assets/app.CSS', 'text/css; charset=utf-8'],
    ['logo.svg', 'image/svg+xml'],
    ['icon.png', 'image/png'],
    ['font.woff2', 'font/woff2'],
    ['x.map', 'application/json; charset=utf-8'],
    ['unknown.bin', 'application/octet-stream'],
    ['no-extension', 'application/octet-stream'],
  ])('%s → %s', (file, mime) => expect(mimeTypeFor(file)).toBe(mime));
});

describe('resolveStaticFile', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-static-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const root = path.join(tmp, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Fluxo</title>');
  writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'assets', 'a b.css'), 'body{}');
  writeFileSync(path.join(root, '.secret'), 'hidden');
  writeFileSync(path.join(tmp, 'outside.txt'), 'SECRET OUTSIDE');
  symlinkSync(path.join(tmp, 'outside.txt'), path.join(root, 'escape.txt'));
  symlinkSync(tmp, path.join(root, 'up'));
  writeFileSync(path.join(root, 'assets', 'inner.txt'), 'inner');
  symlinkSync(path.join(root, 'assets', 'inner.txt'), path.join(root, 'inside-link.txt'));

  it('serves index.html for /', async () => {
    expect(await resolveStaticFile(root, '/')).toEqual({ kind: 'file', file: path.join(root, 'index.html'), mime: 'text/html; charset=utf-8', isIndex: true });
  });

  it('serves files below the folder, decoding percent-escapes', async () => {
    expect(await resolveStaticFile(root, '/assets/app.js')).toMatchObject({ kind: 'file', file: path.join(root, 'assets', 'app.js'), isIndex: false });
    expect(await resolveStaticFile(root, '/assets/a%20b.css')).toMatchObject({ kind: 'file', mime: 'text/css; charset=utf-8' });
    expect(await resolveStaticFile(root, '/index.html')).toMatchObject({ kind: 'file', isIndex: true });
  });

  it('has no fallback to index.html for other paths (no client-side routes)', async () => {
    expect(await resolveStaticFile(root, '/pipelines/42')).toEqual({ kind: 'not-found' });
    expect(await resolveStaticFile(root, '/missing.js')).toEqual({ kind: 'not-found' });
    expect(await resolveStaticFile(root, '/assets')).toEqual({ kind: 'not-found' });
    expect(await resolveStaticFile(root, '/assets/')).toEqual({ kind: 'forbidden' });
  });

  it.each([
    '/../outside.txt',
    '/%2e%2e/outside.txt',
    '/%2E%2E/outside.txt',
    '/assets/../../outside.txt',
    '/assets/%2e%2e/%2e%2e/outside.txt',
    '/..%2foutside.txt',
    '/..%5coutside.txt',
    '/%2fetc%2fpasswd',
    '//etc/passwd',
    '/C:%5cWindows%5cwin.ini',
    '/index.html%00.png',
    '/.secret',
    '/./index.html',
    '/%E0%A4%A',
    'index.html',
  ])('refuses %s', async (urlPath) => {
    expect(await resolveStaticFile(root, urlPath)).toEqual({ kind: 'forbidden' });
  });

  it('refuses a symlink that points outside the folder, even one folder up', async () => {
    expect(await resolveStaticFile(root, '/escape.txt')).toEqual({ kind: 'forbidden' });
    expect(await resolveStaticFile(root, '/up/outside.txt')).toEqual({ kind: 'forbidden' });
  });

  it('follows a symlink that stays inside the folder', async () => {
    expect(await resolveStaticFile(root, '/inside-link.txt')).toMatchObject({ kind: 'file', file: path.join(root, 'assets', 'inner.txt') });
  });

  it('says not found when the folder itself does not exist', async () => {
    expect(await resolveStaticFile(path.join(tmp, 'nope'), '/')).toEqual({ kind: 'not-found' });
  });

  it('staticResponse: the file with its type, the CSP, the security headers and no-store for the page', async () => {
    const page = await staticResponse(root, '/', 'CSP-VALUE');
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('<title>Fluxo</title>');
    expect(page.headers).toMatchObject({ ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': 'CSP-VALUE', 'Cache-Control': 'no-store' });
    const script = await staticResponse(root, '/assets/app.js', 'CSP-VALUE');
    expect(script.headers['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['Cache-Control']).toBe('no-cache');
  });

  it('staticResponse: 403 and 404 as plain text that never contains the file', async () => {
    const escape = await staticResponse(root, '/escape.txt', 'CSP');
    expect(escape.status).toBe(403);
    expect(escape.body.toString()).not.toContain('SECRET');
    expect(escape.headers['Content-Type']).toBe('text/plain; charset=utf-8');
    expect(escape.headers['Content-Security-Policy']).toBe(LOCKED_DOWN_CSP);
    expect((await staticResponse(root, '/missing.js', 'CSP')).status).toBe(404);
  });

  it('textResponse: one line, hardened', () => {
    const r = textResponse(401, 'Open the address.');
    expect(r.body.toString()).toBe('Open the address.\n');
    expect(r.headers['X-Content-Type-Options']).toBe('nosniff');
  });
});
