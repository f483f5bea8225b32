import type { ErrorCode, FluxoApi, FluxoEventListener, FluxoServices, Result } from '../shared/api';

/**
 * What the preload needs to build window.fluxo, without importing the contract's zod schemas at
 * run time (the sandboxed preload stays a few kilobytes). Type-checked against FluxoServices and
 * tested for parity with shared/api's contractChannels() and with what main.ts registers.
 */

/** Same values as CHANNEL_PREFIX and EVENT_CHANNEL in shared/api (a parity test checks). */
export const IPC_CHANNEL_PREFIX = 'fluxo:';
export const IPC_EVENT_CHANNEL = 'fluxo:events';

type MethodLists = { readonly [S in keyof FluxoServices]: ReadonlyArray<keyof FluxoServices[S] & string> };

/** Every method of the contract, by service. */
export const CONTRACT_METHODS = {
  host: ['info'],
  catalog: ['list'],
  targets: ['list', 'overview', 'save', 'remove', 'sshHosts', 'importSshHost', 'test'],
  settings: ['runOptions', 'setRunOptions'],
  prompts: ['pending', 'answer'],
  examples: ['list', 'open'],
  documents: ['open', 'save', 'browse', 'recent', 'forgetRecent'],
  autosave: ['write', 'heartbeat', 'discard', 'recoverable'],
  workshops: ['export', 'open', 'original'],
  dialogs: ['openPipeline', 'savePipeline', 'pickFile', 'openPack', 'savePack', 'saveArchive', 'pickFolder'],
  runs: ['start', 'cancel', 'get', 'list', 'readFile', 'preflight', 'document', 'readRange', 'listFiles', 'openFolder', 'export'],
  remote: ['browse'],
} as const satisfies MethodLists;

// INVARIANT: the build fails when FluxoServices gains a method that CONTRACT_METHODS lacks.
type MissingMethods = {
  [S in keyof FluxoServices]: Exclude<keyof FluxoServices[S], (typeof CONTRACT_METHODS)[S][number]>;
}[keyof FluxoServices];
const _everyMethodListed: [MissingMethods] extends [never] ? true : MissingMethods = true;
void _everyMethodListed;

/** "service.method" for every method, sorted like contractChannels(). */
export function methodChannels(): string[] {
  const out: string[] = [];
  for (const [svc, methods] of Object.entries(CONTRACT_METHODS)) for (const m of methods) out.push(`${svc}.${m}`);
  return out.sort();
}

/** The IPC channel names: "fluxo:" + "service.method". */
export function ipcChannels(): string[] {
  return methodChannels().map((c) => IPC_CHANNEL_PREFIX + c);
}

/** Sends one request over IPC and resolves with the main process's answer. */
export type Invoke = (ipcChannel: string, args: unknown[]) => Promise<unknown>;
/** Registers an event-batch listener; returns the unsubscribe function. */
export type SubscribeEvents = (listener: FluxoEventListener) => () => void;

const INTERNAL: ErrorCode = 'E103';

/**
 * window.fluxo: one function per contract method, each a call of `invoke` with its channel, plus
 * `events.subscribe`. A rejected invoke (main not ready, a channel main never registered) becomes
 * an error Result, because the UI is written against Results and never expects a throw.
 */
export function buildBridgeApi(invoke: Invoke, subscribe: SubscribeEvents): FluxoApi {
  const api: Record<string, unknown> = {};
  for (const [svc, methods] of Object.entries(CONTRACT_METHODS)) {
    const service: Record<string, (...args: unknown[]) => Promise<Result<unknown>>> = {};
    for (const method of methods) {
      const channel = `${IPC_CHANNEL_PREFIX}${svc}.${method}`;
      service[method] = (...args: unknown[]) =>
        invoke(channel, args).then(
          (r) => r as Result<unknown>,
          (e: unknown) => ({
            ok: false as const,
            error: { code: INTERNAL, message: `Fluxo's main process did not answer ${svc}.${method}: ${e instanceof Error ? e.message : String(e)}`, hint: 'Restart Fluxo; if it happens again, please report it.' },
          }),
        );
    }
    api[svc] = Object.freeze(service);
  }
  api.events = Object.freeze({ subscribe: (listener: FluxoEventListener) => subscribe(listener) });
  return Object.freeze(api) as unknown as FluxoApi;
}
