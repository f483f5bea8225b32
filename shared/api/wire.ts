import type { FluxoEvent } from './types';
import type { Result } from './result';

/**
 * The browser host's WebSocket protocol: the contract's calls and events as JSON messages.
 * Connect to `ws://<host>/api` (the page's own origin). Authentication is the per-start token,
 * sent as the `fluxo_token` cookie set when the page was loaded with `?token=`, or as `?token=`
 * on the WebSocket URL.
 */
export const WS_PATH = '/api';
export const TOKEN_COOKIE = 'fluxo_token';
export const TOKEN_PARAM = 'token';

/** Client → server: one call of a contract method. */
export interface WireRequest {
  id: number;
  /** "service.method", e.g. "runs.start". */
  channel: string;
  args: unknown[];
}

/** Server → client: the answer to a request, or a batch of events. */
export type WireMessage = { kind: 'response'; id: number; result: Result<unknown> } | { kind: 'events'; events: FluxoEvent[] };
