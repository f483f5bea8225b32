import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * What both hosts (Electron's app:// protocol and the browser host) send with the renderer:
 * one Content-Security-Policy, a few hardening headers, MIME types, and a static-file resolver
 * that cannot be talked out of the renderer's build folder. Pure apart from reading the disk.
 */

export interface CspOptions {
  /**
   * The browser host's port: its WebSocket (`ws://127.0.0.1:PORT/api`) is allowed explicitly,
   * because older engines do not let 'self' cover ws: URLs. Electron passes nothing.
   */
  webSocketPort?: number;
}

/** The Content-Security-Policy of the renderer, as one header value. */
export function contentSecurityPolicy(options: CspOptions = {}): string {
  const connect = ["'self'"];
  if (options.webSocketPort !== undefined) {
    const port = options.webSocketPort;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a port: ${port}`);
    connect.push(`ws://127.0.0.1:${port}`, `ws://localhost:${port}`);
  }
  const directives: Array<[string, string[]]> = [
    ['default-src', ["'self'"]],
    ['script-src', ["'self'"]],
    // React Flow positions nodes and edges with inline styles.
    ['style-src', ["'self'", "'unsafe-inline'"]],
    ['img-src', ["'self'", 'data:', 'blob:']],
    ['connect-src', connect],
    // Run reports are shown in <iframe sandbox srcdoc>; their figures are data: URLs.
    ['frame-src', ["'self'", 'data:', 'blob:']],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
  ];
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}

/** For answers that are not the renderer (errors, plain text): nothing may load from them. */
export const LOCKED_DOWN_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Headers sent with every response of either host, in addition to the CSP. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
});

const MIME_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
});

/** The Content-Type of a static file, by extension; unknown files are opaque bytes. */
export function mimeTypeFor(file: string): string {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticResolution =
  | { kind: 'file'; file: string; mime: string; isIndex: boolean }
  /** The path tried to leave the folder (`..`, an absolute path, a symlink pointing out). */
  | { kind: 'forbidden' }
  | { kind: 'not-found' };

/** The file system calls the resolver makes; injectable so tests can simulate odd disks. */
export interface StaticFs {
  realpath(p: string): Promise<string>;
  stat(p: string): Promise<{ isFile(): boolean }>;
}

const nodeFs: StaticFs = { realpath: (p) => fs.realpath(p), stat: (p) => fs.stat(p) };

/**
 * Maps a URL path (still percent-encoded, as it arrives) to a file inside `rootDir`.
 * INVARIANT: the answer is either a regular file whose real path is inside the real `rootDir`,
 * or not a file at all. `/` means index.html; any other missing path is not found (no SPA
 * fallback: the renderer has a single page and no client-side routes).
 */
export async function resolveStaticFile(rootDir: string, urlPath: string, fsImpl: StaticFs = nodeFs): Promise<StaticResolution> {
  if (!urlPath.startsWith('/')) return { kind: 'forbidden' };
  const rawSegments = urlPath.split('/').slice(1);
  let segments: string[];
  try {
    segments = rawSegments.map((s) => decodeURIComponent(s));
  } catch {
    return { kind: 'forbidden' };
  }
  const isIndex = segments.length === 1 && segments[0] === '';
  if (isIndex) segments = ['index.html'];
  for (const s of segments) {
    // Empty segments (`//`), dot segments, hidden files, separators smuggled in encoded form,
    // drive letters and NUL never name a file of the build.
    if (s === '' || s === '.' || s === '..' || s.startsWith('.')) return { kind: 'forbidden' };
    if (/[\\/:\0]/.test(s)) return { kind: 'forbidden' };
  }
  let realRoot: string;
  try {
    realRoot = await fsImpl.realpath(path.resolve(rootDir));
  } catch {
    return { kind: 'not-found' };
  }
  const candidate = path.join(realRoot, ...segments);
  if (!isInside(realRoot, candidate)) return { kind: 'forbidden' };
  let real: string;
  try {
    real = await fsImpl.realpath(candidate);
  } catch {
    return { kind: 'not-found' };
  }
  if (!isInside(realRoot, real)) return { kind: 'forbidden' };
  try {
    if (!(await fsImpl.stat(real)).isFile()) return { kind: 'not-found' };
  } catch {
    return { kind: 'not-found' };
  }
  return { kind: 'file', file: real, mime: mimeTypeFor(real), isIndex: segments.length === 1 && segments[0] === 'index.html' };
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

export interface StaticResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The whole answer for a static request, shared by both hosts so they cannot drift:
 * the file with its type, the CSP and the hardening headers, or a plain-text 403/404.
 */
export async function staticResponse(rootDir: string, urlPath: string, csp: string, fsImpl: StaticFs = nodeFs): Promise<StaticResponse> {
  const resolved = await resolveStaticFile(rootDir, urlPath, fsImpl);
  if (resolved.kind !== 'file') {
    return resolved.kind === 'forbidden' ? textResponse(403, 'Forbidden: that path is outside Fluxo.') : textResponse(404, 'Not found.');
  }
  let body: Buffer;
  try {
    body = await fs.readFile(resolved.file);
  } catch {
    return textResponse(404, 'Not found.');
  }
  return {
    status: 200,
    headers: {
      ...SECURITY_HEADERS,
      'Content-Type': resolved.mime,
      'Content-Security-Policy': csp,
      // The page must never be served from cache: each start has a new token and new assets.
      'Cache-Control': resolved.isIndex ? 'no-store' : 'no-cache',
    },
    body,
  };
}

/** A short plain-text answer (errors), with the hardening headers and a CSP that allows nothing. */
export function textResponse(status: number, line: string): StaticResponse {
  return {
    status,
    headers: {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Security-Policy': LOCKED_DOWN_CSP,
      'Cache-Control': 'no-store',
    },
    body: Buffer.from(`${line}\n`, 'utf8'),
  };
}
