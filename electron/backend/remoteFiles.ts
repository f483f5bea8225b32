/**
 * remote.browse: lists a folder on a cluster over SFTP so a person can pick data that is already
 * there (a dataset on the cluster's scratch) instead of uploading it again. It rides the same
 * per-cluster connection as runs (ClusterConnections), so browsing never asks for a second login
 * or a second TOTP code while a run is being watched.
 */
import path from 'node:path';
import type { FluxoServices, RemoteListing, Result } from '../../shared/api';
import { ErrorCode, err, ok } from '../../shared/api';
import type { SlurmProfile, TargetProfile } from '../../shared/targets';
import { SshError } from '../ssh/transport';
import type { RemoteFiles, RemoteStat, SshConnection } from '../ssh/transport';
import { resolveWorkRoot } from '../targets/slurm/remote';
import type { ClusterConnections } from './runs';

export interface RemoteBrowseOptions {
  targets: () => Promise<TargetProfile[]>;
  clusters?: ClusterConnections;
}

/** Most entries one listing returns: a folder of a million files must not freeze the dialog. */
export const MAX_REMOTE_ENTRIES = 2000;
/** Symbolic links are followed (one stat each) only this many times per listing. */
const MAX_LINKS_FOLLOWED = 200;

// SFTP status codes (draft-ietf-secsh-filexfer-02), as describeSftpError keeps them in SshError.code.
const FX_NO_SUCH_FILE = 2;
const FX_PERMISSION_DENIED = 3;

type Kind = RemoteListing['entries'][number]['kind'];

function kindOf(st: RemoteStat | null): Kind {
  if (!st) return 'other';
  return st.isDirectory ? 'folder' : st.isFile ? 'file' : 'other';
}

/** An SSH failure as a Result a person can act on: what happened, on which cluster, what to do. */
export function sshErrorResult<T>(e: unknown, profile: SlurmProfile): Result<T> {
  if (!(e instanceof SshError)) return err(ErrorCode.Internal, `${profile.title}: ${e instanceof Error ? e.message : String(e)}`);
  // The transport's hints name the command generically; here the target is known.
  const hint = e.hint?.replace(/\bTARGET\b/g, profile.id) ?? undefined;
  switch (e.kind) {
    case 'host-key-changed':
      return err(ErrorCode.HostKeyChanged, `${profile.title}: the host key of the cluster has changed, so Fluxo did not log in. ${e.message}`, hint ?? 'Ask the cluster support whether the key changed; if it did, remove the old key from known_hosts.');
    case 'host-key-unknown':
      return err(ErrorCode.HostKeyUnknown, `${profile.title}: the cluster's host key is not trusted yet. ${e.message}`, hint ?? 'Test the connection in the targets settings once to check and accept its host key.');
    case 'auth-failed':
      return err(ErrorCode.LoginFailed, `${profile.title}: the login was refused. ${e.message}`, hint ?? 'Check the user name, key or password in the target profile.');
    case 'cancelled':
      return err(ErrorCode.LoginCancelled, `${profile.title}: the login was cancelled.`, hint);
    case 'unreachable':
    case 'closed':
      return err(ErrorCode.ClusterUnreachable, `${profile.title} cannot be reached. ${e.message}`, hint ?? 'Check your network or VPN, then try again.');
    case 'remote':
      if (e.code === FX_NO_SUCH_FILE) return err(ErrorCode.RemotePathMissing, `${profile.title}: ${e.message}`, hint);
      if (e.code === FX_PERMISSION_DENIED) return err(ErrorCode.RemotePathDenied, `${profile.title}: ${e.message}`, 'Your account on the cluster may not read this folder; choose another one.');
      return err(ErrorCode.RemoteStorage, `${profile.title}: ${e.message}`, hint);
  }
}

/** The folder shown first: the work root when it exists (where runs go), else the login's home. */
async function startFolder(conn: SshConnection, files: RemoteFiles, profile: SlurmProfile): Promise<string> {
  try {
    const root = await resolveWorkRoot(conn, profile);
    const st = await files.stat(root);
    if (st?.isDirectory) return root;
  } catch (e) {
    // A work root that does not expand here is no reason to refuse browsing: home still works.
    if (!(e instanceof SshError) || e.kind !== 'remote') throw e;
  }
  return files.realpath('.');
}

async function listFolder(files: RemoteFiles, folder: string): Promise<RemoteListing['entries']> {
  const listed = await files.list(folder);
  const visible = listed.filter((e) => !e.name.startsWith('.'));
  let followed = 0;
  const out: RemoteListing['entries'] = [];
  for (const e of visible) {
    const full = path.posix.join(folder, e.name);
    let kind = kindOf(e);
    let size = e.size;
    // readdir reports a link as a link; what the person cares about is what it points to.
    if (kind === 'other' && followed < MAX_LINKS_FOLLOWED) {
      followed++;
      const target = await files.stat(full).catch(() => null);
      kind = kindOf(target);
      if (target) size = target.size;
    }
    out.push({ name: e.name, path: full, kind, size: kind === 'folder' ? 0 : size });
  }
  out.sort((a, b) => (a.kind === 'folder') !== (b.kind === 'folder') ? (a.kind === 'folder' ? -1 : 1) : a.name.localeCompare(b.name));
  return out.slice(0, MAX_REMOTE_ENTRIES);
}

export function createRemoteService(options: RemoteBrowseOptions): FluxoServices['remote'] {
  return {
    async browse(targetId, requested) {
      const target = (await options.targets()).find((t) => t.id === targetId);
      if (!target) return err(ErrorCode.UnknownTarget, `there is no target "${targetId}"`, 'Choose a target from the list.');
      if (target.kind !== 'slurm') return err(ErrorCode.Unsupported, `${target.title} is not a cluster`, 'Use Browse… to pick a file on this computer.');
      if (!options.clusters) return err(ErrorCode.Unsupported, `this Fluxo cannot connect to ${target.title}`, 'Use the desktop app or the browser host started by the fluxo command.');
      try {
        const conn = await options.clusters.get(target);
        const files = await conn.files();
        const folder = requested === null ? await startFolder(conn, files, target) : path.posix.normalize(requested).replace(/(.)\/+$/, '$1');
        const st = await files.stat(folder);
        if (!st) return err(ErrorCode.RemotePathMissing, `${target.title}: there is no folder ${folder}`, 'Check the path; it may have been moved or cleaned up.');
        if (!st.isDirectory) return err(ErrorCode.RemotePathMissing, `${target.title}: ${folder} is a file, not a folder`, 'Type the folder that holds it.');
        const entries = await listFolder(files, folder);
        const parent = folder === '/' ? null : path.posix.dirname(folder);
        return ok({ folder, parent, entries });
      } catch (e) {
        return sshErrorResult(e, target);
      }
    },
  };
}
