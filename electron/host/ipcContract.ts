import type { FluxoServices, Result } from '../../shared/api';
import { CHANNEL_PREFIX, contractChannels, ErrorCode, err } from '../../shared/api';
import { handleRequest } from '../backend/serve';
import { isTrustedSender } from '../windowOptions';

/** The part of Electron's WebFrameMain the sender check reads. */
export interface SenderFrameLike {
  readonly url: string;
  /** null for a window's top frame. */
  readonly parent: unknown;
}

/** The part of Electron's IpcMainInvokeEvent the sender check reads. */
export interface InvokeEventLike {
  readonly senderFrame: SenderFrameLike | null;
}

/** The part of Electron's ipcMain that registration uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<Result<unknown>>): void;
}

/** True when the call comes from the app's own page in a window's top frame. */
export function isTrustedInvoke(event: InvokeEventLike): boolean {
  const frame = event.senderFrame;
  // The frame is null when it navigated away or was destroyed while the call was in flight.
  if (!frame) return false;
  return isTrustedSender(frame.url, frame.parent === null);
}

/**
 * Registers every method of the contract on ipcMain as `fluxo:service.method`. Each call passes
 * the sender check (E101 otherwise), then the same `handleRequest` the other front doors use
 * (channel lookup, zod validation, exceptions turned into Results). Returns the channels.
 */
export function registerContract(ipc: IpcMainLike, services: FluxoServices): string[] {
  const registered: string[] = [];
  for (const channel of contractChannels()) {
    const ipcChannel = CHANNEL_PREFIX + channel;
    ipc.handle(ipcChannel, async (event, ...args) => {
      if (!isTrustedInvoke(event)) {
        return err(ErrorCode.Forbidden, `${channel} was called from a page that is not Fluxo's`, 'Only the Fluxo window itself may use the backend.');
      }
      return handleRequest(services, channel, args);
    });
    registered.push(ipcChannel);
  }
  return registered;
}
