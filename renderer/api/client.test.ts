import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FluxoEvent, WireMessage, WireRequest } from '../../shared/api';
import type { SocketLike } from './client';
import { CONNECTION_LOST_MESSAGE, createWsApi, webSocketUrl } from './client';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: WireRequest[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(public url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data) as WireRequest);
  }
  close() {
    this.drop();
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({});
  }
  receive(msg: WireMessage) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const api = createWsApi({
    url: 'ws://127.0.0.1:1234/api?token=t',
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    initialDelayMs: 100,
    maxDelayMs: 400,
  });
  const latest = () => sockets[sockets.length - 1]!;
  return { api, sockets, latest };
}

describe('WebSocket client', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends a call as a wire request and resolves it with the matching response', async () => {
    const { api, latest } = setup();
    latest().open();
    const p1 = api.host.info();
    const p2 = api.documents.open('/tmp/a.fluxo');
    const [r1, r2] = latest().sent;
    expect(r1).toEqual({ id: r1!.id, channel: 'host.info', args: [] });
    expect(r2).toMatchObject({ channel: 'documents.open', args: ['/tmp/a.fluxo'] });
    // Answers may come in any order; ids match them up.
    latest().receive({ kind: 'response', id: r2!.id, result: { ok: false, error: { code: 'E201', message: 'nope' } } });
    latest().receive({ kind: 'response', id: r1!.id, result: { ok: true, value: { kind: 'browser' } } });
    await expect(p1).resolves.toEqual({ ok: true, value: { kind: 'browser' } });
    await expect(p2).resolves.toMatchObject({ ok: false, error: { code: 'E201' } });
  });

  it('queues calls made while the socket opens and sends them once it is open', async () => {
    const { api, latest } = setup();
    const p = api.catalog.list();
    expect(latest().sent).toEqual([]);
    latest().open();
    expect(latest().sent.map((r) => r.channel)).toEqual(['catalog.list']);
    latest().receive({ kind: 'response', id: latest().sent[0]!.id, result: { ok: true, value: { blocks: [], problems: [] } } });
    await expect(p).resolves.toMatchObject({ ok: true });
  });

  it('fans event batches out to every subscriber until they unsubscribe', () => {
    const { api, latest } = setup();
    latest().open();
    const a = vi.fn();
    const b = vi.fn();
    const offA = api.events.subscribe(a);
    api.events.subscribe(b);
    const batch: FluxoEvent[] = [{ type: 'run.logAppended', runId: 'r1', stepId: 's', text: 'hello\n' }];
    latest().receive({ kind: 'events', events: batch });
    offA();
    latest().receive({ kind: 'events', events: batch });
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(2);
    expect(b).toHaveBeenCalledWith(batch);
  });

  it('resolves pending calls to a plain error when the connection is lost, then reconnects with backoff', async () => {
    const { api, sockets, latest } = setup();
    const statuses: string[] = [];
    api.connection.onStatusChange((s) => statuses.push(s));
    latest().open();
    const pending = api.runs.list();
    latest().drop();
    const result = await pending;
    expect(result).toMatchObject({ ok: false, error: { message: CONNECTION_LOST_MESSAGE } });
    expect(result.ok ? '' : result.error.hint).toMatch(/reconnecting/);
    expect(api.connection.status()).toBe('lost');

    // A call between attempts answers at once instead of hanging.
    await expect(api.host.info()).resolves.toMatchObject({ ok: false });

    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
    latest().drop(); // the host is still down
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2); // waits longer the second time
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(3);
    latest().open();
    expect(statuses).toEqual(['open', 'lost', 'open']);

    const after = api.host.info();
    latest().receive({ kind: 'response', id: latest().sent[0]!.id, result: { ok: true, value: 1 } });
    await expect(after).resolves.toEqual({ ok: true, value: 1 });
  });

  it('fails calls queued on a socket that never opens', async () => {
    const { api, latest } = setup();
    const p = api.host.info();
    latest().drop();
    await expect(p).resolves.toMatchObject({ ok: false, error: { message: CONNECTION_LOST_MESSAGE } });
  });

  it('ignores responses it did not ask for and malformed messages', () => {
    const { api, latest } = setup();
    latest().open();
    const listener = vi.fn();
    api.events.subscribe(listener);
    latest().onmessage?.({ data: 'not json' });
    latest().receive({ kind: 'response', id: 999, result: { ok: true, value: null } });
    expect(listener).not.toHaveBeenCalled();
  });

  it('stops reconnecting once closed', () => {
    const { api, sockets, latest } = setup();
    latest().open();
    api.connection.close();
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(1);
  });
});

describe('webSocketUrl', () => {
  function fakeLocation(href: string): Location {
    const u = new URL(href);
    return { protocol: u.protocol, host: u.host, pathname: u.pathname, search: u.search, hash: u.hash } as Location;
  }
  function memoryStorage(): Storage {
    const m = new Map<string, string>();
    return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k), clear: () => m.clear(), key: () => null, length: 0 };
  }

  it('takes the token from the page address, remembers it and removes it from the address bar', () => {
    const storage = memoryStorage();
    const replaceState = vi.fn();
    const url = webSocketUrl(fakeLocation('http://127.0.0.1:5000/?token=abc%2F1&open=%2Fx.fluxo'), storage, { state: null, replaceState } as unknown as History);
    expect(url).toBe('ws://127.0.0.1:5000/api?token=abc%2F1');
    expect(replaceState).toHaveBeenCalledWith(null, '', '/?open=%2Fx.fluxo');
    // After a reload the address has no token; the remembered one is used.
    const again = webSocketUrl(fakeLocation('http://127.0.0.1:5000/'), storage, { state: null, replaceState } as unknown as History);
    expect(again).toBe('ws://127.0.0.1:5000/api?token=abc%2F1');
  });

  it('uses wss on https pages and no token when there is none', () => {
    const url = webSocketUrl(fakeLocation('https://example.test/app/'), memoryStorage(), { state: null, replaceState: vi.fn() } as unknown as History);
    expect(url).toBe('wss://example.test/api');
  });
});
