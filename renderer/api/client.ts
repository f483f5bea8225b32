import type { FluxoApi, FluxoEvent, FluxoEventListener, FluxoServices, Result, WireMessage, WireRequest } from '../../shared/api';
import { contract, ErrorCode, TOKEN_PARAM, WS_PATH } from '../../shared/api';

export type ConnectionStatus = 'connecting' | 'open' | 'lost';

/** The API plus what only a remote transport has: a connection that can be lost. */
export type RemoteFluxoApi = FluxoApi & {
  connection: {
    status(): ConnectionStatus;
    onStatusChange(listener: (status: ConnectionStatus) => void): () => void;
    close(): void;
  };
};

/** The subset of the browser WebSocket the client uses, so tests can hand in a fake. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

export interface WsClientOptions {
  url: string;
  createSocket?: SocketFactory;
  /** First reconnect delay; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

const OPEN = 1;

export const CONNECTION_LOST_MESSAGE = 'the connection to Fluxo was lost before it answered';
const CONNECTION_LOST_HINT = 'Fluxo is reconnecting; try again in a moment. If this keeps happening, restart Fluxo.';

function lostResult(): Result<never> {
  return { ok: false, error: { code: ErrorCode.Disconnected, message: CONNECTION_LOST_MESSAGE, hint: CONNECTION_LOST_HINT } };
}

/**
 * The contract over the browser host's WebSocket (shared/api/wire.ts). Requests are matched by id;
 * event batches fan out to every subscriber. When the socket drops, calls in flight resolve to an
 * error Result (never hang) and the client reconnects with exponential backoff.
 */
export function createWsApi(options: WsClientOptions): RemoteFluxoApi {
  const createSocket: SocketFactory = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
  const initialDelay = options.initialDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 10_000;

  let socket: SocketLike | null = null;
  let status: ConnectionStatus = 'connecting';
  let nextId = 1;
  let delay = initialDelay;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  /** Calls sent on the current socket, waiting for their response. */
  const inFlight = new Map<number, (r: Result<unknown>) => void>();
  /** Calls made while the socket was still opening; sent once it opens. */
  let queued: Array<{ request: WireRequest; resolve: (r: Result<unknown>) => void }> = [];
  const eventListeners = new Set<FluxoEventListener>();
  const statusListeners = new Set<(s: ConnectionStatus) => void>();

  const setStatus = (s: ConnectionStatus) => {
    if (s === status) return;
    status = s;
    for (const l of [...statusListeners]) l(s);
  };

  const failPending = () => {
    const waiting = [...inFlight.values(), ...queued.map((q) => q.resolve)];
    inFlight.clear();
    queued = [];
    for (const resolve of waiting) resolve(lostResult());
  };

  const deliver = (events: FluxoEvent[]) => {
    for (const l of [...eventListeners]) {
      try {
        l(events);
      } catch (e) {
        console.error('Fluxo event listener failed', e);
      }
    }
  };

  const onMessage = (raw: unknown) => {
    if (typeof raw !== 'string') return;
    let msg: WireMessage;
    try {
      msg = JSON.parse(raw) as WireMessage;
    } catch {
      return;
    }
    if (msg.kind === 'response') {
      const resolve = inFlight.get(msg.id);
      if (!resolve) return;
      inFlight.delete(msg.id);
      resolve(msg.result);
    } else if (msg.kind === 'events' && Array.isArray(msg.events)) {
      deliver(msg.events);
    }
  };

  const scheduleReconnect = () => {
    if (closed || reconnectTimer) return;
    const wait = delay;
    delay = Math.min(delay * 2, maxDelay);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connect();
    }, wait);
  };

  function connect() {
    if (closed) return;
    let s: SocketLike;
    try {
      s = createSocket(options.url);
    } catch {
      setStatus('lost');
      scheduleReconnect();
      return;
    }
    socket = s;
    s.onopen = () => {
      if (socket !== s) return;
      delay = initialDelay;
      setStatus('open');
      const toSend = queued;
      queued = [];
      for (const q of toSend) {
        inFlight.set(q.request.id, q.resolve);
        s.send(JSON.stringify(q.request));
      }
    };
    s.onmessage = (ev) => {
      if (socket === s) onMessage(ev.data);
    };
    s.onerror = () => {
      // A close event always follows; handling it there keeps one code path.
    };
    s.onclose = () => {
      if (socket !== s) return;
      socket = null;
      failPending();
      if (closed) return;
      setStatus('lost');
      scheduleReconnect();
    };
  }

  const call = (channel: string, args: unknown[]): Promise<Result<unknown>> =>
    new Promise((resolve) => {
      const request: WireRequest = { id: nextId++, channel, args };
      if (socket && socket.readyState === OPEN) {
        inFlight.set(request.id, resolve);
        try {
          socket.send(JSON.stringify(request));
        } catch {
          inFlight.delete(request.id);
          resolve(lostResult());
        }
      } else if (socket) {
        queued.push({ request, resolve });
      } else {
        // Between reconnect attempts: answer at once rather than leave the user waiting.
        resolve(lostResult());
      }
    });

  const services: Record<string, Record<string, (...args: unknown[]) => Promise<Result<unknown>>>> = {};
  for (const [svc, methods] of Object.entries(contract)) {
    services[svc] = {};
    for (const method of Object.keys(methods)) services[svc][method] = (...args: unknown[]) => call(`${svc}.${method}`, args);
  }

  connect();

  return {
    ...(services as unknown as FluxoServices),
    events: {
      subscribe(listener) {
        eventListeners.add(listener);
        return () => eventListeners.delete(listener);
      },
    },
    connection: {
      status: () => status,
      onStatusChange(listener) {
        statusListeners.add(listener);
        return () => statusListeners.delete(listener);
      },
      close() {
        closed = true;
        if (reconnectTimer) clearTimeout(reconnectTimer);
        reconnectTimer = null;
        const s = socket;
        socket = null;
        failPending();
        s?.close();
      },
    },
  };
}

const TOKEN_KEY = 'fluxo.token';

/**
 * The WebSocket URL for the page's own origin. A `?token=` in the address is remembered for this
 * tab and removed from the address bar, so it does not end up in bookmarks, history or screenshots.
 */
export function webSocketUrl(loc: Location = window.location, storage: Storage = window.sessionStorage, hist: History = window.history): string {
  const params = new URLSearchParams(loc.search);
  const fromUrl = params.get(TOKEN_PARAM);
  if (fromUrl) {
    try {
      storage.setItem(TOKEN_KEY, fromUrl);
    } catch {
      // Storage can be disabled; the token still works for this page load.
    }
    params.delete(TOKEN_PARAM);
    const query = params.toString();
    hist.replaceState(hist.state, '', `${loc.pathname}${query ? `?${query}` : ''}${loc.hash}`);
  }
  let token = fromUrl;
  if (!token) {
    try {
      token = storage.getItem(TOKEN_KEY);
    } catch {
      token = null;
    }
  }
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}${WS_PATH}${token ? `?${TOKEN_PARAM}=${encodeURIComponent(token)}` : ''}`;
}

let api: FluxoApi | null = null;

/** The backend: Electron's preload bridge when present, else the browser host's WebSocket. */
export function getApi(): FluxoApi {
  if (api) return api;
  const bridge = (window as unknown as { fluxo?: FluxoApi }).fluxo;
  api = bridge ?? createWsApi({ url: webSocketUrl() });
  return api;
}

/** The connection of the remote transport, or null in Electron where there is none to lose. */
export function getConnection(): RemoteFluxoApi['connection'] | null {
  const a = getApi() as Partial<RemoteFluxoApi>;
  return a.connection ?? null;
}

/** For tests and the dev harness: use this implementation instead of discovering one. */
export function setApi(next: FluxoApi | null): void {
  api = next;
}
