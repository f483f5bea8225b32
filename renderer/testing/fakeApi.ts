import type { FluxoApi, FluxoEvent, FluxoEventListener, Result } from '../../shared/api';
import { contract, ErrorCode } from '../../shared/api';

type Overrides = { [S in keyof FluxoApi]?: Partial<FluxoApi[S]> };

/**
 * A FluxoApi for tests: every method answers E104 unless overridden; `emit` plays backend events;
 * `calls` records what the UI asked for.
 */
export function fakeApi(overrides: Overrides = {}) {
  const listeners = new Set<FluxoEventListener>();
  const calls: Array<{ channel: string; args: unknown[] }> = [];
  const api: Record<string, Record<string, unknown>> = {};
  for (const [svc, methods] of Object.entries(contract)) {
    api[svc] = {};
    for (const method of Object.keys(methods)) {
      const custom = (overrides as Record<string, Record<string, (...a: unknown[]) => Promise<Result<unknown>>> | undefined>)[svc]?.[method];
      api[svc][method] = async (...args: unknown[]) => {
        calls.push({ channel: `${svc}.${method}`, args });
        return custom ? custom(...args) : { ok: false, error: { code: ErrorCode.Unsupported, message: `${svc}.${method} is not faked` } };
      };
    }
  }
  api.events = {
    subscribe(l: FluxoEventListener) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return {
    api: api as unknown as FluxoApi,
    calls,
    emit(events: FluxoEvent[]) {
      for (const l of listeners) l(events);
    },
  };
}
