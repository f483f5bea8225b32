import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RecoverableWork } from '../../shared/api';
import type { PipelineDocument } from '../../shared/document';
import { parseDocument, serializeDocument } from '../../shared/document';
import { writeFileAtomic } from './fsutil';

/**
 * A window that has not beaten for this long is taken as gone (the renderer beats every
 * AUTOSAVE_HEARTBEAT_MS). Generous, so a busy machine never offers a live window's work.
 */
export const AUTOSAVE_STALE_MS = 45_000;

/** A session id: what the renderer makes with crypto.randomUUID(), or any short safe token. */
export const SESSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$/;

const zLockFile = z.object({
  pid: z.number().int().positive(),
  /** Last heartbeat, ms since the epoch. */
  beat: z.number(),
  /** Where the pipeline was saved before these changes; null for one never saved. */
  path: z.string().max(4096).nullable(),
  name: z.string().max(300),
  savedAt: z.string(),
});
type LockFile = z.infer<typeof zLockFile>;

export interface AutosaveOptions {
  /** Is this process alive? Default: signal 0. Tests fake it. */
  isAlive?: (pid: number) => boolean;
  now?: () => number;
  pid?: number;
  staleMs?: number;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Unsaved work kept in <FLUXO_HOME>/autosave: <session>.fluxo holds the document, <session>.lock
 * who owns it (pid and last heartbeat), so one window never offers another live window's work.
 */
export class Autosaves {
  readonly dir: string;
  private readonly isAlive: (pid: number) => boolean;
  private readonly now: () => number;
  private readonly pid: number;
  private readonly staleMs: number;

  constructor(homeDir: string, options: AutosaveOptions = {}) {
    this.dir = path.join(homeDir, 'autosave');
    this.isAlive = options.isAlive ?? processIsAlive;
    this.now = options.now ?? Date.now;
    this.pid = options.pid ?? process.pid;
    this.staleMs = options.staleMs ?? AUTOSAVE_STALE_MS;
  }

  private files(session: string) {
    if (!SESSION_PATTERN.test(session)) throw new Error(`not a session id: ${session}`);
    return { doc: path.join(this.dir, `${session}.fluxo`), lock: path.join(this.dir, `${session}.lock`) };
  }

  /** Writes the document first, then the lock: a lock always points at a complete document. */
  async write(session: string, document: PipelineDocument, docPath: string | null): Promise<void> {
    const f = this.files(session);
    await fs.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(f.doc, serializeDocument(document));
    const lock: LockFile = { pid: this.pid, beat: this.now(), path: docPath, name: document.metadata.name, savedAt: new Date(this.now()).toISOString() };
    await writeFileAtomic(f.lock, JSON.stringify(lock));
  }

  /** Keeps this window's autosave its own; nothing to do when it has none. */
  async heartbeat(session: string): Promise<void> {
    const f = this.files(session);
    const lock = await this.readLock(f.lock);
    if (!lock) return;
    await writeFileAtomic(f.lock, JSON.stringify({ ...lock, pid: this.pid, beat: this.now() }));
  }

  async discard(session: string): Promise<void> {
    const f = this.files(session);
    // The lock goes first: a document without a lock is never offered, a lock without one is cleaned.
    await fs.rm(f.lock, { force: true });
    await fs.rm(f.doc, { force: true });
  }

  /**
   * Autosaves nobody is editing: their process ended, their window stopped beating, or they were
   * written by an earlier page of `session` itself (a reload keeps the window's session id).
   */
  async recoverable(session: string): Promise<RecoverableWork[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const out: RecoverableWork[] = [];
    for (const name of names.filter((n) => n.endsWith('.lock')).sort()) {
      const id = name.slice(0, -'.lock'.length);
      if (!SESSION_PATTERN.test(id)) continue;
      const f = this.files(id);
      const lock = await this.readLock(f.lock);
      if (!lock) continue;
      const alive = id !== session && this.isAlive(lock.pid) && this.now() - lock.beat < this.staleMs;
      if (alive) continue;
      const text = await fs.readFile(f.doc, 'utf8').catch(() => null);
      const parsed = text === null ? null : parseDocument(text);
      if (!parsed?.ok) {
        // Half an autosave (a crash between the two writes) is nothing anyone can restore.
        await this.discard(id).catch(() => undefined);
        continue;
      }
      out.push({ session: id, path: lock.path, name: lock.name, savedAt: lock.savedAt, document: parsed.document });
    }
    return out;
  }

  private async readLock(file: string): Promise<LockFile | null> {
    try {
      const parsed = zLockFile.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
}
