// The browser host: the same contract as the Electron window, over a WebSocket on 127.0.0.1, for
// machines where the Electron binary cannot be installed (see docs/adr/0001-browser-host.md).
// Anything that can reach the loopback interface (other local users, any web page the user has
// open) is untrusted: every request needs the per-start token, the right Host and the right Origin.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import type { RawData, WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { FluxoEvent, WireMessage } from '../shared/api';
import { ErrorCode, err, TOKEN_COOKIE, TOKEN_PARAM, WS_PATH } from '../shared/api';
import type { Backend } from './backend';
import { createBackend, defaultHomeDir, defaultResourcesDir, FLUXO_VERSION } from './backend';
import { createClusterConnections } from './backend/clusters';
import { UiPrompter } from './ssh/uiPrompter';
import { handleRequest } from './backend/serve';
import type { StaticResponse } from './security';
import { contentSecurityPolicy, staticResponse, textResponse } from './security';

/** What the host needs of a backend; tests may pass a fake with just these. */
export type HostedBackend = Pick<Backend, 'services' | 'subscribe'> & Partial<Pick<Backend, 'dispose'>>;

export interface WebHostOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Only loopback is supported: the token is the only secret and travels in clear. */
  host?: '127.0.0.1';
  /** The access token; a random 32-byte one when omitted. */
  token?: string;
  /** When omitted, the host creates (and on close disposes) a backend with the default folders. */
  backend?: HostedBackend;
  /** The renderer build (dist/renderer). */
  staticDir: string;
  /** Largest WebSocket message accepted, in bytes (a saved pipeline with inline data can be big). */
  maxPayload?: number;
}

export interface WebHost {
  /** The address to open, token included: http://127.0.0.1:PORT/?token=TOKEN */
  url: string;
  port: number;
  token: string;
  server: http.Server;
  /** Closes every socket, stops listening and disposes the backend if the host created it. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_PAYLOAD = 32 * 1024 * 1024;
export const UNAUTHORIZED_MESSAGE = 'Open the address Fluxo printed, including its ?token=... part.';
/** WebSocket close code for data the server cannot accept (RFC 6455 7.4.1). */
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_GOING_AWAY = 1001;

/** A fresh access token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison that does not leak the token's length either. */
export function tokenMatches(candidate: string | null | undefined, token: string): boolean {
  if (!candidate) return false;
  const a = createHash('sha256').update(candidate, 'utf8').digest();
  const b = createHash('sha256').update(token, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** All values of a cookie in a Cookie header (a browser may send the same name twice). */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) out.push(part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * DNS-rebinding guard: a page on evil.example whose name now resolves to 127.0.0.1 still sends
 * `Host: evil.example:PORT`. Only the two loopback names, with our port, are accepted.
 */
export function isAllowedHost(hostHeader: string | undefined, port: number): boolean {
  if (!hostHeader) return false;
  const h = hostHeader.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
}

/** Cross-site guard: when a browser says which page made the request, it must be ours. */
export function isAllowedOrigin(originHeader: string | undefined, port: number): boolean {
  if (originHeader === undefined) return true;
  const o = originHeader.toLowerCase();
  return o === `http://127.0.0.1:${port}` || o === `http://localhost:${port}`;
}

type Verdict = { ok: true; viaQuery: boolean; url: URL } | { ok: false; status: 400 | 401 | 403; line: string };

/** The checks every HTTP request and WebSocket upgrade passes, in order: Host, Origin, token. */
function checkRequest(req: http.IncomingMessage, port: number, token: string): Verdict {
  if (!isAllowedHost(req.headers.host, port)) {
    return { ok: false, status: 403, line: `Forbidden: Fluxo only answers at http://127.0.0.1:${port}/ (this request named another host).` };
  }
  if (!isAllowedOrigin(req.headers.origin, port)) {
    return { ok: false, status: 403, line: 'Forbidden: this request came from a page that is not Fluxo.' };
  }
  const raw = req.url ?? '';
  if (!raw.startsWith('/')) return { ok: false, status: 400, line: 'Bad request.' };
  let url: URL;
  try {
    url = new URL(raw, `http://127.0.0.1:${port}`);
  } catch {
    return { ok: false, status: 400, line: 'Bad request.' };
  }
  const fromQuery = url.searchParams.get(TOKEN_PARAM);
  if (tokenMatches(fromQuery, token)) return { ok: true, viaQuery: true, url };
  if (cookieValues(req.headers.cookie, TOKEN_COOKIE).some((c) => tokenMatches(c, token))) return { ok: true, viaQuery: false, url };
  return { ok: false, status: 401, line: UNAUTHORIZED_MESSAGE };
}

function send(res: http.ServerResponse, answer: StaticResponse, head: boolean, extra: Record<string, string> = {}): void {
  res.writeHead(answer.status, { ...answer.headers, ...extra, 'Content-Length': String(answer.body.length) });
  res.end(head ? undefined : answer.body);
}

function rejectUpgrade(socket: Duplex, status: number, line: string): void {
  const reason = http.STATUS_CODES[status] ?? 'Error';
  const body = `${line}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.destroy();
}

function isWireRequest(v: unknown): v is { id: number; channel: string; args: unknown } {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.id === 'number' && Number.isSafeInteger(r.id) && typeof r.channel === 'string';
}

/** Starts the browser host on 127.0.0.1. Rejects with the listen error (EADDRINUSE...). */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('the browser host only listens on 127.0.0.1');
  const token = options.token ?? newToken();
  if (token.length < 16) throw new Error('the access token is too short');
  const ownsBackend = options.backend === undefined;
  // Login questions go to the page; a browser tab has no keychain, so passwords are never kept.
  const prompter = new UiPrompter({ secrets: null, noSecretsReason: 'a browser window has no system keychain to keep passwords in' });
  const backend: HostedBackend =
    options.backend ??
    createBackend({
      hostKind: 'browser',
      resourcesDir: defaultResourcesDir(),
      homeDir: defaultHomeDir(),
      version: FLUXO_VERSION,
      clusters: createClusterConnections({ prompter, homeDir: defaultHomeDir() }),
      prompts: prompter,
      reattachOnStart: true,
    });
  const staticDir = options.staticDir;
  const sockets = new Set<WebSocket>();
  let port = 0;
  let csp = '';

  const server = http.createServer((req, res) => {
    void (async () => {
      const head = req.method === 'HEAD';
      const verdict = checkRequest(req, port, token);
      if (!verdict.ok) return send(res, textResponse(verdict.status, verdict.line), head);
      if (req.method !== 'GET' && !head) return send(res, textResponse(405, 'Method not allowed.'), false, { Allow: 'GET, HEAD' });
      const answer = await staticResponse(staticDir, verdict.url.pathname, csp);
      // The cookie lets the page's WebSocket and a reload authenticate without the token in the address.
      const extra: Record<string, string> = verdict.viaQuery ? { 'Set-Cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` } : {};
      send(res, answer, head, extra);
    })().catch(() => {
      if (!res.headersSent) send(res, textResponse(500, 'Fluxo could not answer this request.'), false);
      else res.destroy();
    });
  });
  // Slow or idle clients must not pin sockets forever; the page is small.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD, perMessageDeflate: false });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const verdict = checkRequest(req, port, token);
    if (!verdict.ok) return rejectUpgrade(socket, verdict.status, verdict.line);
    if (verdict.url.pathname !== WS_PATH) return rejectUpgrade(socket, 404, 'Not found.');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => sockets.delete(ws));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return ws.close(CLOSE_UNSUPPORTED_DATA, 'text frames only');
      let message: unknown;
      try {
        message = JSON.parse(rawToString(data));
      } catch {
        return ws.close(CLOSE_UNSUPPORTED_DATA, 'malformed JSON');
      }
      if (!isWireRequest(message)) return ws.close(CLOSE_UNSUPPORTED_DATA, 'not a request: {id, channel, args}');
      const { id, channel, args } = message;
      void handleRequest(backend.services, channel, args)
        .then((result) => JSON.stringify({ kind: 'response', id, result } satisfies WireMessage))
        .catch((e: unknown) => {
          const result = err(ErrorCode.Internal, `unexpected error in ${channel}: ${e instanceof Error ? e.message : String(e)}`, 'This is a Fluxo bug; please report it.');
          return JSON.stringify({ kind: 'response', id, result } satisfies WireMessage);
        })
        .then((text) => {
          if (ws.readyState === ws.OPEN) ws.send(text);
        });
    });
  });

  const unsubscribe = backend.subscribe((events: FluxoEvent[]) => {
    if (sockets.size === 0) return;
    const text = JSON.stringify({ kind: 'events', events } satisfies WireMessage);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: options.port ?? 0, host, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    unsubscribe();
    wss.close();
    if (ownsBackend) await backend.dispose?.();
    throw e;
  }
  port = (server.address() as AddressInfo).port;
  csp = contentSecurityPolicy({ webSocketPort: port });

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      unsubscribe();
      for (const ws of sockets) ws.close(CLOSE_GOING_AWAY, 'Fluxo is shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      prompter.cancelAll();
      if (ownsBackend) await backend.dispose?.();
    })());

  return { url: `http://127.0.0.1:${port}/?${TOKEN_PARAM}=${token}`, port, token, server, close };
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** FLUXO_PORT as a port number; undefined when unset; an error line when it is not a port. */
export function parsePort(value: string | undefined): number | undefined | { error: string } {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) return { error: `FLUXO_PORT must be a port number (0-65535), not "${value}"` };
  return n;
}

/** How to open a URL in the default browser on this platform, or null when there is no desktop. */
export function browserOpener(platform: NodeJS.Platform, url: string, env: NodeJS.ProcessEnv): { command: string; args: string[] } | null {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url.replace(/&/g, '^&')] };
  // Linux and BSDs: without a display there is no browser to open (SSH session, CI, container).
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return null;
  return { command: 'xdg-open', args: [url] };
}

function openBrowser(url: string): void {
  const opener = browserOpener(process.platform, url, process.env);
  if (!opener) return;
  try {
    const child = spawn(opener.command, opener.args, { detached: true, stdio: 'ignore', windowsHide: true, windowsVerbatimArguments: process.platform === 'win32' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No browser: the printed address is enough.
  }
}

export const Exit = { Ok: 0, Failed: 1, BadSetup: 2 } as const;

/**
 * `node dist/electron/web.cjs [--open]`: prints exactly one line on stdout (the address with its
 * token) and serves until SIGINT/SIGTERM. Everything else goes to stderr. Resolves with the exit
 * code when startup fails, otherwise once the host has shut down.
 */
export async function main(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const wantsOpen = argv.includes('--open');
  const unknown = argv.filter((a) => a !== '--open');
  if (unknown.length > 0) {
    process.stderr.write(`fluxo web: unknown argument "${unknown[0]}"; usage: web.cjs [--open] (FLUXO_PORT sets the port)\n`);
    return Exit.BadSetup;
  }
  const port = parsePort(env.FLUXO_PORT);
  if (typeof port === 'object') {
    process.stderr.write(`${port.error}\n`);
    return Exit.BadSetup;
  }
  const staticDir = path.join(__dirname, '..', 'renderer');
  if (!existsSync(path.join(staticDir, 'index.html'))) {
    process.stderr.write(`Fluxo's user interface is not built (${path.join(staticDir, 'index.html')} is missing); run "npm run build" first.\n`);
    return Exit.BadSetup;
  }
  let host: WebHost;
  try {
    host = await startWebHost({ port: port ?? 0, staticDir });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      process.stderr.write(`Port ${port ?? 0} is already in use; set FLUXO_PORT to another port or unset it to pick a free one\n`);
      return Exit.BadSetup;
    }
    process.stderr.write(`Fluxo could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    return Exit.Failed;
  }
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl+C: stop waiting for runs to be cancelled.
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`Fluxo is stopping (${signal}); cancelling runs...\n`);
      host.close().then(
        () => resolve(Exit.Ok),
        (e: unknown) => {
          process.stderr.write(`Fluxo did not stop cleanly: ${e instanceof Error ? e.message : String(e)}\n`);
          resolve(Exit.Failed);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // Printed once the signal handlers are in place: whoever reads this line may stop us at once.
  process.stdout.write(`Fluxo is running at ${host.url}\n`);
  if (wantsOpen) openBrowser(host.url);
  return stopped;
}

// Run when executed directly (node dist/electron/web.cjs), not when imported by tests.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`Fluxo: ${e instanceof Error && e.stack ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
