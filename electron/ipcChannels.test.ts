import { describe, expect, it, vi } from 'vitest';
import type { FluxoEvent, FluxoEventListener, FluxoServices } from '../shared/api';
import { CHANNEL_PREFIX, contract, contractChannels, EVENT_CHANNEL, ok } from '../shared/api';
import { registerContract } from './host/ipcContract';
import type { InvokeEventLike } from './host/ipcContract';
import { buildBridgeApi, CONTRACT_METHODS, IPC_CHANNEL_PREFIX, IPC_EVENT_CHANNEL, ipcChannels, methodChannels } from './ipcChannels';

/** Calls every method of a bridge and records the channel each one invoked. */
async function exposedChannels(): Promise<string[]> {
  const seen: string[] = [];
  const api = buildBridgeApi(async (channel) => {
    seen.push(channel);
    return ok(null);
  }, () => () => undefined);
  for (const [svc, methods] of Object.entries(api)) {
    if (svc === 'events') continue;
    for (const fn of Object.values(methods as Record<string, () => Promise<unknown>>)) await fn();
  }
  return seen.sort();
}

function fakeServices(): FluxoServices {
  const services: Record<string, Record<string, unknown>> = {};
  for (const [svc, methods] of Object.entries(CONTRACT_METHODS)) {
    services[svc] = {};
    for (const m of methods) services[svc][m] = async (...args: unknown[]) => ok({ called: `${svc}.${m}`, args });
  }
  return services as unknown as FluxoServices;
}

describe('contract parity: preload exposes == main registers == contract', () => {
  it('the preload list names exactly the contract methods', () => {
    expect(methodChannels()).toEqual(contractChannels());
    for (const [svc, methods] of Object.entries(contract)) expect([...CONTRACT_METHODS[svc as keyof typeof CONTRACT_METHODS]].sort()).toEqual(Object.keys(methods).sort());
  });

  it("uses shared/api's channel prefix and event channel", () => {
    expect(IPC_CHANNEL_PREFIX).toBe(CHANNEL_PREFIX);
    expect(IPC_EVENT_CHANNEL).toBe(EVENT_CHANNEL);
  });

  it('the channels window.fluxo invokes, the channels main registers and contractChannels() are the same set', async () => {
    const registered: string[] = [];
    registerContract({ handle: (channel) => registered.push(channel) }, fakeServices());
    const expected = contractChannels().map((c) => CHANNEL_PREFIX + c);
    expect(await exposedChannels()).toEqual(expected);
    expect(registered.sort()).toEqual(expected);
    expect(ipcChannels()).toEqual(expected);
  });
});

describe('buildBridgeApi', () => {
  it('forwards the arguments unchanged and returns the answer', async () => {
    const invoke = vi.fn(async (_channel: string, args: unknown[]) => ok(args));
    const api = buildBridgeApi(invoke, () => () => undefined);
    expect(await api.documents.save('/tmp/a.fluxo', { any: 'doc' } as never)).toEqual(ok(['/tmp/a.fluxo', { any: 'doc' }]));
    expect(invoke).toHaveBeenCalledWith('fluxo:documents.save', ['/tmp/a.fluxo', { any: 'doc' }]);
  });

  it('turns a failed IPC call into an E103 Result instead of throwing into the UI', async () => {
    const api = buildBridgeApi(async () => {
      throw new Error("No handler registered for 'fluxo:runs.list'");
    }, () => () => undefined);
    const r = await api.runs.list();
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('E103');
      expect(r.error.message).toContain('runs.list');
    }
  });

  it('events.subscribe hands listeners to the transport and returns its unsubscribe', () => {
    const listeners = new Set<FluxoEventListener>();
    const api = buildBridgeApi(
      async () => ok(null),
      (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    );
    const got: FluxoEvent[][] = [];
    const off = api.events.subscribe((batch) => got.push(batch));
    const batch: FluxoEvent[] = [{ type: 'run.logAppended', runId: 'r1', stepId: 's', text: 'hi' }];
    for (const l of listeners) l(batch);
    expect(got).toEqual([batch]);
    off();
    expect(listeners.size).toBe(0);
  });

  it('exposes only the contract (no raw ipc, nothing to mutate)', () => {
    const api = buildBridgeApi(async () => ok(null), () => () => undefined);
    expect(Object.keys(api).sort()).toEqual([...Object.keys(CONTRACT_METHODS), 'events'].sort());
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.isFrozen(api.runs)).toBe(true);
  });
});

describe('registerContract', () => {
  type Handler = (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>;
  function registered() {
    const handlers = new Map<string, Handler>();
    registerContract({ handle: (channel, listener) => handlers.set(channel, listener) }, fakeServices());
    return handlers;
  }
  const top = (url: string): InvokeEventLike => ({ senderFrame: { url, parent: null } });

  it('answers the app page in the top frame through handleRequest', async () => {
    const h = registered().get('fluxo:examples.open')!;
    expect(await h(top('app://fluxo/index.html'), 'breast-cancer')).toEqual(ok({ called: 'examples.open', args: ['breast-cancer'] }));
  });

  it('validates arguments with the contract (E100)', async () => {
    const h = registered().get('fluxo:examples.open')!;
    const r = (await h(top('app://fluxo/index.html'), '../../etc')) as { ok: boolean; error?: { code: string } };
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('E100');
  });

  it.each([
    ['another origin', { senderFrame: { url: 'https://evil.example/', parent: null } }],
    ['a subframe of the app', { senderFrame: { url: 'app://fluxo/index.html', parent: {} } }],
    ['a report iframe', { senderFrame: { url: 'about:srcdoc', parent: {} } }],
    ['a destroyed frame', { senderFrame: null }],
  ])('refuses %s with E101 without calling the service', async (_name, event) => {
    const services = fakeServices();
    const spy = vi.spyOn(services.host, 'info');
    const handlers = new Map<string, Handler>();
    registerContract({ handle: (channel, listener) => handlers.set(channel, listener) }, services);
    const r = (await handlers.get('fluxo:host.info')!(event as InvokeEventLike)) as { ok: boolean; error?: { code: string } };
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('E101');
    expect(spy).not.toHaveBeenCalled();
  });
});
