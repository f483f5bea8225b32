import type { FluxoServices, Result } from '../../shared/api';
import { argSchema, dispatch, ErrorCode, err, FluxoFailure } from '../../shared/api';

/**
 * The one entry every front door (IPC, WebSocket, CLI) goes through: checks that the channel is
 * on the contract, validates the arguments with the contract's zod schema, calls the service and
 * turns anything thrown into a Result so no stack trace or secret crosses the boundary raw.
 */
export async function handleRequest(services: FluxoServices, channel: string, args: unknown): Promise<Result<unknown>> {
  const schema = argSchema(channel);
  if (!schema) return err(ErrorCode.UnknownMethod, `"${channel}" is not a Fluxo method`);
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length ? ` at argument ${first.path.join('.')}` : '';
    return err(ErrorCode.BadRequest, `invalid arguments for ${channel}${where}: ${first?.message ?? 'wrong shape'}`);
  }
  try {
    return await dispatch(services, channel, parsed.data);
  } catch (e) {
    if (e instanceof FluxoFailure) return { ok: false, error: e.error };
    const message = e instanceof Error ? e.message : String(e);
    return err(ErrorCode.Internal, `unexpected error in ${channel}: ${message}`, 'This is a Fluxo bug; please report it.');
  }
}

/**
 * Makes every method of a services object return its FluxoFailure as a Result, so deep code can
 * `fail(...)` and callers in-process (the CLI, tests) get the same Result the front doors do.
 */
export function returningFailures(services: FluxoServices): FluxoServices {
  const wrapped: Record<string, Record<string, unknown>> = {};
  for (const [svc, methods] of Object.entries(services) as Array<[string, Record<string, (...a: unknown[]) => Promise<Result<unknown>>>]>) {
    wrapped[svc] = {};
    for (const [name, fn] of Object.entries(methods)) {
      wrapped[svc][name] = async (...args: unknown[]) => {
        try {
          return await fn.apply(methods, args);
        } catch (e) {
          if (e instanceof FluxoFailure) return { ok: false, error: e.error };
          throw e;
        }
      };
    }
  }
  return wrapped as unknown as FluxoServices;
}
