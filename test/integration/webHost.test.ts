// @vitest-environment node
// The browser host as a browser, another web page and another local program meet it: real HTTP
// and WebSocket on 127.0.0.1, the real backend on the repository's resources and a temp home.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FluxoEvent, FluxoEventListener, FluxoServices, WireMessage } from '../../shared/api';
import { ok } from '../../shared/api';
import { createBackend } from '../../electron/backend';
import type { Backend } from '../../electron/backend';
import { CONTRACT_METHODS } from '../../electron/ipcChannels';
import type { WebHost } from '../../electron/web';
import { startWebHost, UNAUTHORIZED_MESSAGE } from '../../electron/web';
import { buildNodeBundles } from '../fixtures/buildNode';

const repo = path.resolve(__dirname, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-web-'));
// The renderer build is replaced by a small page so the test does not depend on `npm run build`.
// A decoy package.json sits right outside it: a traversal that worked would serve its marker.
const staticDir = path.join(tmp, 'renderer');
const MARKER = 'DECOY-OUTSIDE-THE-RENDERER';
mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><html><head><title>Fluxo</title><script type="module" src="./assets/app.js"></script></head><body></body></html>');
writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log("fluxo")');
writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: MARKER }));
writeFileSync(path.join(tmp, 'secret.txt'), MARKER);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request: the path is sent as written (no normalisation) and Host can be forged. */
function request(port: number, urlPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

type Connection = { ws: WebSocket; status: 101 } | { ws: null; status: number; body: string };

/** Opens a WebSocket, or reports the HTTP status the upgrade was refused with. */
function connect(url: string, options: { origin?: string; headers?: Record<string, string> } = {}): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: options.headers, ...(options.origin ? { origin: options.origin } : {}) });
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ ws: null, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    ws.once('error', (e) => reject(e));
  });
}

/** Sends one request and waits for the response with its id. */
function call(ws: WebSocket, id: number, channel: string, args: unknown): Promise<WireMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as WireMessage;
      if (msg.kind === 'response' && msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, channel, args }));
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe('the browser host with the real backend', () => {
  let host: WebHost;
  let backend: Backend;
  let port: number;
  let token: string;
  const origin = () => `http://127.0.0.1:${port}`;
  const wsUrl = (query = `?token=${token}`) => `ws://127.0.0.1:${port}/api${query}`;

  beforeAll(async () => {
    backend = createBackend({ hostKind: 'browser', resourcesDir: path.join(repo, 'resources'), homeDir: path.join(tmp, 'home') });
    host = await startWebHost({ port: 0, staticDir, backend });
    port = host.port;
    token = host.token;
  });
  afterAll(async () => {
    await host?.close();
    await backend?.dispose();
  });

  it('listens on 127.0.0.1 only, and prints an address with a 32-byte token', () => {
    const address = host.server.address() as AddressInfo;
    expect(address.address).toBe('127.0.0.1');
    expect(address.family).toBe('IPv4');
    expect(host.url).toBe(`http://127.0.0.1:${port}/?token=${token}`);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  describe('HTTP', () => {
    it('answers / without a token with 401 and one line saying what to do', async () => {
      const r = await request(port, '/');
      expect(r.status).toBe(401);
      expect(r.body).toBe(`${UNAUTHORIZED_MESSAGE}\n`);
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.headers['set-cookie']).toBeUndefined();
    });

    it('answers a wrong token or a wrong cookie with 401', async () => {
      expect((await request(port, '/?token=not-the-token')).status).toBe(401);
      expect((await request(port, `/?token=${token}x`)).status).toBe(401);
      expect((await request(port, '/', { Cookie: 'fluxo_token=not-the-token' })).status).toBe(401);
      expect((await request(port, '/assets/app.js')).status).toBe(401);
    });

    it('serves the page for /?token= with the CSP, the security headers, no-store and an HttpOnly SameSite=Strict cookie', async () => {
      const r = await request(port, `/?token=${token}`);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.body).toContain('<title>Fluxo</title>');
      const csp = r.headers['content-security-policy'] as string;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['set-cookie']).toEqual([`fluxo_token=${token}; HttpOnly; SameSite=Strict; Path=/`]);
    });

    it('accepts the cookie alone afterwards (a reload, the page assets)', async () => {
      const cookie = { Cookie: `other=1; fluxo_token=${token}` };
      const page = await request(port, '/', cookie);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<title>Fluxo</title>');
      const script = await request(port, '/assets/app.js', cookie);
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.headers['content-security-policy']).toBeDefined();
    });

    it('answers HEAD without a body and refuses other methods', async () => {
      const head = await request(port, `/?token=${token}`, {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      const post = await request(port, `/?token=${token}`, {}, 'POST');
      expect(post.status).toBe(405);
    });

    it('refuses a foreign Host with 403 even with the token (DNS rebinding)', async () => {
      for (const hostHeader of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `127.0.0.1:${port}.evil.example`]) {
        const r = await request(port, `/?token=${token}`, { Host: hostHeader });
        expect(r.status, hostHeader).toBe(403);
        expect(r.body).not.toContain('<title>');
        expect(r.headers['set-cookie']).toBeUndefined();
      }
      expect((await request(port, `/?token=${token}`, { Host: `localhost:${port}` })).status).toBe(200);
    });

    it('refuses a foreign Origin with 403 even with the token', async () => {
      for (const o of ['http://evil.example', `http://127.0.0.1:${port + 1}`, 'null', `https://127.0.0.1:${port}`]) {
        expect((await request(port, `/?token=${token}`, { Origin: o })).status, o).toBe(403);
      }
      expect((await request(port, `/?token=${token}`, { Origin: origin() })).status).toBe(200);
      expect((await request(port, `/?token=${token}`, { Origin: `http://localhost:${port}` })).status).toBe(200);
    });

    it.each([
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/secret.txt',
      '/assets/../../package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/..%5csecret.txt',
      `/${'..%2f'.repeat(8)}etc/passwd`,
      '/.%2e/package.json',
      '/%00',
    ])('never serves a file outside the renderer for %s', async (p) => {
      for (const auth of [`?token=${token}`]) {
        const r = await request(port, `${p}${auth}`);
        expect([403, 404], `${p} → ${r.status}`).toContain(r.status);
        expect(r.body).not.toContain(MARKER);
        expect(r.body).not.toContain('root:');
      }
    });

    it('has no index.html fallback for unknown paths', async () => {
      expect((await request(port, `/no/such/page?token=${token}`)).status).toBe(404);
    });

    it('refuses absolute-form request targets', async () => {
      const r = await request(port, `http://evil.example/?token=${token}`);
      expect(r.status).toBe(400);
    });
  });

  describe('WebSocket /api', () => {
    it('refuses an upgrade without a token (401)', async () => {
      const c = await connect(wsUrl(''), { origin: origin() });
      expect(c.status).toBe(401);
    });

    it('refuses an upgrade with a wrong token (401)', async () => {
      expect((await connect(wsUrl('?token=nope'), { origin: origin() })).status).toBe(401);
    });

    it('refuses an upgrade from another origin (403), even with the token', async () => {
      expect((await connect(wsUrl(), { origin: 'http://evil.example' })).status).toBe(403);
      expect((await connect(wsUrl(), { origin: 'null' })).status).toBe(403);
    });

    it('refuses an upgrade with a foreign Host (403)', async () => {
      expect((await connect(wsUrl(), { origin: origin(), headers: { Host: `evil.example:${port}` } })).status).toBe(403);
    });

    it('refuses an upgrade on another path (404)', async () => {
      expect((await connect(`ws://127.0.0.1:${port}/other?token=${token}`, { origin: origin() })).status).toBe(404);
    });

    it('accepts the cookie instead of ?token=', async () => {
      const c = await connect(wsUrl(''), { origin: origin(), headers: { Cookie: `fluxo_token=${token}` } });
      expect(c.status).toBe(101);
      c.ws?.close();
    });

    it('answers host.info and catalog.list through the real backend', async () => {
      const c = await connect(wsUrl(), { origin: origin() });
      if (!c.ws) throw new Error(`upgrade refused: ${c.status}`);
      const info = await call(c.ws, 1, 'host.info', []);
      expect(info).toMatchObject({ kind: 'response', id: 1, result: { ok: true, value: { kind: 'browser', nativeDialogs: false } } });
      const catalog = await call(c.ws, 2, 'catalog.list', []);
      expect(catalog).toMatchObject({ kind: 'response', id: 2, result: { ok: true } });
      if (catalog.kind === 'response' && catalog.result.ok) {
        const value = catalog.result.value as { blocks: unknown[]; problems: unknown[] };
        expect(value.blocks.length).toBeGreaterThan(0);
        expect(value.problems).toEqual([]);
      }
      c.ws.close();
    });

    it('answers an unknown channel with E102, bad arguments with E100 and dialogs with E104', async () => {
      const c = await connect(wsUrl(), { origin: origin() });
      if (!c.ws) throw new Error(`upgrade refused: ${c.status}`);
      const unknown = await call(c.ws, 7, 'system.exec', ['rm -rf /']);
      expect(unknown).toMatchObject({ kind: 'response', id: 7, result: { ok: false, error: { code: 'E102' } } });
      const proto = await call(c.ws, 8, '__proto__.constructor', []);
      expect(proto).toMatchObject({ result: { ok: false, error: { code: 'E102' } } });
      const badArgs = await call(c.ws, 9, 'examples.open', [42]);
      expect(badArgs).toMatchObject({ kind: 'response', id: 9, result: { ok: false, error: { code: 'E100' } } });
      const notArray = await call(c.ws, 10, 'host.info', 'nope');
      expect(notArray).toMatchObject({ result: { ok: false, error: { code: 'E100' } } });
      const dialogs = await call(c.ws, 11, 'dialogs.openPipeline', []);
      expect(dialogs).toMatchObject({ result: { ok: false, error: { code: 'E104' } } });
      c.ws.close();
    });

    it('streams a real run as event batches: run.started, steps, logs, run.finished', async () => {
      const c = await connect(wsUrl(), { origin: origin() });
      if (!c.ws) throw new Error(`upgrade refused: ${c.status}`);
      const ws = c.ws;
      const events: FluxoEvent[] = [];
      const finished = new Promise<void>((resolve) =>
        ws.on('message', (d: Buffer) => {
          const msg = JSON.parse(d.toString('utf8')) as WireMessage;
          if (msg.kind !== 'events') return;
          events.push(...msg.events);
          if (msg.events.some((e) => e.type === 'run.finished')) resolve();
        }),
      );
      const opened = await call(ws, 20, 'examples.open', ['breast-cancer-classifier']);
      if (opened.kind !== 'response' || !opened.result.ok) throw new Error(JSON.stringify(opened));
      const { document } = opened.result.value as { document: unknown };
      const started = await call(ws, 21, 'runs.start', [{ document, targetId: 'local', runDir: path.join(tmp, 'run-over-ws') }]);
      if (started.kind === 'response' && !started.result.ok && ['E400', 'E401'].includes(started.result.error.code)) {
        console.info(`skipped the run part: ${started.result.error.message}`);
        ws.close();
        return;
      }
      expect(started).toMatchObject({ kind: 'response', id: 21, result: { ok: true, value: { status: 'running' } } });
      await finished;
      const types = new Set(events.map((e) => e.type));
      expect([...types].sort()).toEqual(['run.finished', 'run.logAppended', 'run.started', 'run.stepChanged']);
      const last = events.find((e) => e.type === 'run.finished');
      expect(last?.type === 'run.finished' && last.run.status).toBe('completed');
      ws.close();
    }, 180_000);

    it('closes with 1003 on malformed JSON, on a message that is not a request, and on binary frames', async () => {
      for (const payload of ['{not json', JSON.stringify({ channel: 'host.info', args: [] }), JSON.stringify([1, 2])]) {
        const c = await connect(wsUrl(), { origin: origin() });
        if (!c.ws) throw new Error('refused');
        const done = closed(c.ws);
        c.ws.send(payload);
        expect((await done).code, payload).toBe(1003);
      }
      const c = await connect(wsUrl(), { origin: origin() });
      if (!c.ws) throw new Error('refused');
      const done = closed(c.ws);
      c.ws.send(Buffer.from([1, 2, 3]));
      expect((await done).code).toBe(1003);
    });
  });
});

/** A backend whose events the test triggers. */
function fakeBackend() {
  const listeners = new Set<FluxoEventListener>();
  const services: Record<string, Record<string, unknown>> = {};
  for (const [svc, methods] of Object.entries(CONTRACT_METHODS)) {
    services[svc] = {};
    for (const m of methods) services[svc][m] = async () => ok(`${svc}.${m}`);
  }
  let disposed = 0;
  return {
    backend: {
      services: services as unknown as FluxoServices,
      subscribe(l: FluxoEventListener) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      async dispose() {
        disposed++;
      },
    },
    emit: (batch: FluxoEvent[]) => listeners.forEach((l) => l(batch)),
    listenerCount: () => listeners.size,
    disposed: () => disposed,
  };
}

describe('the browser host with a fake backend', () => {
  it('sends each event batch to every open socket as {kind: "events"}', async () => {
    const fake = fakeBackend();
    const host = await startWebHost({ port: 0, staticDir, backend: fake.backend });
    try {
      const url = `ws://127.0.0.1:${host.port}/api?token=${host.token}`;
      const a = await connect(url);
      const b = await connect(url);
      if (!a.ws || !b.ws) throw new Error('refused');
      const batch: FluxoEvent[] = [{ type: 'run.logAppended', runId: 'r1', stepId: 'train', text: 'epoch 1\n' }];
      const got = [a.ws, b.ws].map((ws) => new Promise((resolve) => ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString())))));
      fake.emit(batch);
      expect(await Promise.all(got)).toEqual([
        { kind: 'events', events: batch },
        { kind: 'events', events: batch },
      ]);
      a.ws.close();
      b.ws.close();
    } finally {
      await host.close();
    }
    // The host unsubscribes; it does not dispose a backend it was given.
    expect(fake.listenerCount()).toBe(0);
    expect(fake.disposed()).toBe(0);
  });

  it('closes a socket that sends more than maxPayload (1009)', async () => {
    const fake = fakeBackend();
    const host = await startWebHost({ port: 0, staticDir, backend: fake.backend, maxPayload: 1024 });
    try {
      const c = await connect(`ws://127.0.0.1:${host.port}/api?token=${host.token}`);
      if (!c.ws) throw new Error('refused');
      const done = closed(c.ws);
      c.ws.send(JSON.stringify({ id: 1, channel: 'host.info', args: ['x'.repeat(4096)] }));
      expect((await done).code).toBe(1009);
    } finally {
      await host.close();
    }
  });

  it('close() says goodbye to open sockets (1001) and stops listening', async () => {
    const fake = fakeBackend();
    const host = await startWebHost({ port: 0, staticDir, backend: fake.backend, token: 'a-fixed-token-for-this-test' });
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=a-fixed-token-for-this-test`);
    const c = await connect(`ws://127.0.0.1:${host.port}/api?token=a-fixed-token-for-this-test`);
    if (!c.ws) throw new Error('refused');
    const done = closed(c.ws);
    await host.close();
    expect((await done).code).toBe(1001);
    expect(host.server.listening).toBe(false);
    await host.close(); // idempotent
  });

  it('refuses to listen anywhere but 127.0.0.1 and rejects a short token', async () => {
    const fake = fakeBackend();
    await expect(startWebHost({ port: 0, staticDir, backend: fake.backend, host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/127\.0\.0\.1/);
    await expect(startWebHost({ port: 0, staticDir, backend: fake.backend, token: 'short' })).rejects.toThrow(/token/);
  });

  it('rejects with EADDRINUSE when the port is taken', async () => {
    const fake = fakeBackend();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    try {
      const taken = (blocker.address() as AddressInfo).port;
      await expect(startWebHost({ port: taken, staticDir, backend: fake.backend })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(fake.listenerCount()).toBe(0);
    } finally {
      blocker.close();
    }
  });
});

// web.cjs built from the current sources into a temp dist/ with its own renderer folder beside
// it: the layout the real build produces (dist/electron/web.cjs + dist/renderer/).
const dist = path.join(tmp, 'dist');
const webCjs = path.join(dist, 'electron', 'web.cjs');
let built: Promise<unknown> | null = null;
function buildWebCjs(): Promise<unknown> {
  mkdirSync(path.join(dist, 'renderer'), { recursive: true });
  writeFileSync(path.join(dist, 'renderer', 'index.html'), '<!doctype html><title>Fluxo</title>');
  return (built ??= buildNodeBundles(dist));
}

describe('dist/electron/web.cjs as a process', () => {
  beforeAll(() => buildWebCjs(), 60_000);

  function startProcess(args: string[], env: Record<string, string | undefined>, cjs = webCjs) {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, FLUXO_RESOURCES: path.join(repo, 'resources'), FLUXO_HOME: path.join(tmp, 'home-process'), ...env };
    for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
    const child = spawn(process.execPath, [cjs, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const firstLine = new Promise<string>((resolve, reject) => {
      const onData = () => {
        const nl = stdout.indexOf('\n');
        if (nl >= 0) resolve(stdout.slice(0, nl));
      };
      child.stdout.on('data', onData);
      void exited.then((code) => reject(new Error(`exited with ${code} before printing: ${stderr}`)));
    });
    // Only some tests wait for the line; the others expect the process to exit without one.
    firstLine.catch(() => undefined);
    return { child, exited, firstLine, output: () => ({ stdout, stderr }) };
  }

  it('prints exactly one line with the address, serves it, and stops cleanly on SIGTERM (even with --open on a headless machine)', async () => {
    const p = startProcess(['--open'], { FLUXO_PORT: undefined, DISPLAY: undefined, WAYLAND_DISPLAY: undefined });
    const line = await p.firstLine;
    const m = /^Fluxo is running at http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43})$/.exec(line);
    expect(m, line).not.toBeNull();
    const [, port, token] = m as RegExpExecArray;
    const page = await request(Number(port), `/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Fluxo</title>');
    expect((await request(Number(port), '/')).status).toBe(401);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output().stdout).toBe(`${line}\n`);
  }, 30_000);

  it('uses FLUXO_PORT, and a new token on every start', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const first = startProcess([], { FLUXO_PORT: String(free) });
    const line1 = await first.firstLine;
    expect(line1).toContain(`http://127.0.0.1:${free}/?token=`);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    const second = startProcess([], { FLUXO_PORT: String(free) });
    const line2 = await second.firstLine;
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(line2).not.toBe(line1);
  }, 30_000);

  it('exits 2 with one clear line when FLUXO_PORT is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const p = startProcess([], { FLUXO_PORT: String(taken) });
      expect(await p.exited).toBe(2);
      expect(p.output().stdout).toBe('');
      expect(p.output().stderr).toBe(`Port ${taken} is already in use; set FLUXO_PORT to another port or unset it to pick a free one\n`);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('exits 2 when FLUXO_PORT is not a port, or an argument is unknown', async () => {
    const bad = startProcess([], { FLUXO_PORT: 'eighty' });
    expect(await bad.exited).toBe(2);
    expect(bad.output().stderr).toMatch(/FLUXO_PORT must be a port number/);
    const unknown = startProcess(['--public'], {});
    expect(await unknown.exited).toBe(2);
    expect(unknown.output().stderr).toMatch(/unknown argument "--public"/);
  }, 30_000);

  it('exits 2 and says to build when the renderer is missing', async () => {
    const bare = path.join(tmp, 'bare', 'electron');
    mkdirSync(bare, { recursive: true });
    const copy = path.join(bare, 'web.cjs');
    writeFileSync(copy, await import('node:fs/promises').then((f) => f.readFile(webCjs)));
    const p = startProcess([], {}, copy);
    expect(await p.exited).toBe(2);
    expect(p.output().stderr).toMatch(/npm run build/);
  }, 30_000);
});

describe('scripts/start.mjs (npm start)', () => {
  beforeAll(() => buildWebCjs(), 60_000);
  type StartModule = { findElectron(env?: NodeJS.ProcessEnv, fromDir?: string): string | null };
  const load = async () => (await import(pathToFileURL(path.join(repo, 'scripts/start.mjs')).href)) as StartModule;

  /** A project folder with a fake `electron` package; `binary` decides whether its dist exists. */
  function fakeProject(name: string, binary: boolean): string {
    const dir = path.join(tmp, name);
    const pkgDir = path.join(dir, 'node_modules', 'electron');
    mkdirSync(path.join(pkgDir, 'dist'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{}');
    writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: 'electron', version: '0.0.0-test' }));
    writeFileSync(path.join(pkgDir, 'path.txt'), 'electron');
    // A require('electron') would run this and try to download; findElectron must never do that.
    writeFileSync(path.join(pkgDir, 'index.js'), 'throw new Error("index.js must not be loaded")');
    if (binary) writeFileSync(path.join(pkgDir, 'dist', 'electron'), '#!/bin/sh\n', { mode: 0o755 });
    return dir;
  }

  it('finds the Electron binary only when it is really installed, without loading the package', async () => {
    const { findElectron } = await load();
    const withBinary = fakeProject('with-electron', true);
    expect(findElectron({}, withBinary)).toBe(path.join(withBinary, 'node_modules', 'electron', 'dist', 'electron'));
    expect(findElectron({}, fakeProject('without-binary', false))).toBeNull();
    expect(findElectron({ ELECTRON_OVERRIDE_DIST_PATH: path.join(tmp, 'nowhere') }, withBinary)).toBeNull();
    expect(findElectron({}, path.join(tmp, 'no-project-here'))).toBeNull();
  });

  it('without Electron: says so in one line, then runs the browser host and forwards SIGTERM to it', async () => {
    // A copy of the script beside the test build of web.cjs, in a folder with no Electron installed.
    const root = path.join(tmp, 'start-root');
    mkdirSync(path.join(root, 'scripts'), { recursive: true });
    mkdirSync(path.join(root, 'dist', 'electron'), { recursive: true });
    mkdirSync(path.join(root, 'dist', 'renderer'), { recursive: true });
    writeFileSync(path.join(root, 'package.json'), '{}');
    writeFileSync(path.join(root, 'scripts', 'start.mjs'), readFileSync(path.join(repo, 'scripts/start.mjs')));
    writeFileSync(path.join(root, 'dist', 'electron', 'web.cjs'), readFileSync(webCjs));
    writeFileSync(path.join(root, 'dist', 'renderer', 'index.html'), '<!doctype html><title>Fluxo</title>');
    const env: NodeJS.ProcessEnv = { ...process.env, FLUXO_RESOURCES: path.join(repo, 'resources'), FLUXO_HOME: path.join(tmp, 'home-start') };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.FLUXO_PORT;
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve();
      });
      void exited.then((code) => reject(new Error(`start.mjs exited with ${code}: ${stderr}`)));
    });
    expect(stdout).toMatch(/^Fluxo is running at http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}\n$/);
    expect(stderr.split('\n')[0]).toMatch(/^The Electron binary is not installed .* starts in your web browser instead\.$/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/Fluxo is stopping \(SIGTERM\)/);
  }, 30_000);
});
