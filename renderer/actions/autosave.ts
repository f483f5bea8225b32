import { getApi } from '../api/client';
import { useAppStore } from '../state/appStore';
import type { DocumentStore } from '../state/documentStore';

/** How often unsaved changes are written to the autosave folder. */
export const AUTOSAVE_MS = 3000;
/** How often a window with an autosave says it is alive (the backend's stale limit is 45 s). */
export const HEARTBEAT_MS = 10_000;

const SESSION_KEY = 'fluxo.session';

function newSessionId(): string {
  const c = globalThis.crypto;
  return c?.randomUUID ? c.randomUUID() : `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`;
}

let cachedSession: string | null = null;
/** This window has an autosave on disk (written by this page, or adopted from its earlier page). */
let written = false;

/**
 * The earlier page of this window left an autosave that was just restored: it is this page's now,
 * so a save or a discard removes it even before this page writes its own.
 */
export function adoptAutosave(): void {
  written = true;
}

/**
 * This window's session id. Kept in sessionStorage, so a reload (or a renderer crash and reload)
 * is the same window: its earlier autosave is offered back, another window's never is.
 */
export function sessionId(): string {
  if (cachedSession) return cachedSession;
  try {
    const saved = globalThis.sessionStorage?.getItem(SESSION_KEY);
    if (saved && /^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$/.test(saved)) return (cachedSession = saved);
    cachedSession = newSessionId();
    globalThis.sessionStorage?.setItem(SESSION_KEY, cachedSession);
  } catch {
    cachedSession ??= newSessionId();
  }
  return cachedSession;
}

/**
 * Keeps the autosave in step with the open pipeline: while it has unsaved changes its document is
 * written every AUTOSAVE_MS (and at once when the window is hidden); when it is saved, closed or
 * replaced without saving, the autosave goes. Returns the function that stops it.
 */
export function startAutosave(options: { intervalMs?: number; heartbeatMs?: number } = {}): () => void {
  const interval = options.intervalMs ?? AUTOSAVE_MS;
  const session = sessionId();
  written = false;
  let pending = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let unsubscribeDoc: (() => void) | null = null;
  let current: DocumentStore | null = null;
  // One call at a time, in order: a discard never overtakes the write before it.
  let chain: Promise<unknown> = Promise.resolve();
  const queue = (job: () => Promise<unknown>) => (chain = chain.then(job).catch(() => undefined));

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!pending) return chain;
    pending = false;
    const store = current;
    if (!store || !store.getState().dirty || store.getState().readOnly) return chain;
    const { doc, path } = store.getState();
    return queue(async () => {
      const r = await getApi().autosave.write(session, doc, path);
      if (r.ok) written = true;
    });
  };
  const discard = () => {
    pending = false;
    if (timer) clearTimeout(timer);
    timer = null;
    if (!written) return chain;
    written = false;
    return queue(() => getApi().autosave.discard(session));
  };
  const schedule = () => {
    pending = true;
    timer ??= setTimeout(() => void flush(), interval);
  };
  const follow = (store: DocumentStore | null) => {
    if (store === current) return;
    unsubscribeDoc?.();
    unsubscribeDoc = null;
    current = store;
    if (!store) {
      void discard();
      return;
    }
    const check = () => (store.getState().dirty && !store.getState().readOnly ? schedule() : void discard());
    unsubscribeDoc = store.subscribe((s, prev) => {
      if (s.doc !== prev.doc || s.dirty !== prev.dirty || s.path !== prev.path) check();
    });
    // A pipeline replaced without saving (New, Open, Don't save) takes its autosave with it.
    void discard();
    check();
  };

  follow(useAppStore.getState().editor);
  const unsubscribeApp = useAppStore.subscribe((s) => follow(s.editor));
  const onHidden = () => {
    if (document.visibilityState === 'hidden') void flush();
  };
  document.addEventListener('visibilitychange', onHidden);
  window.addEventListener('pagehide', onHidden);
  const beat = setInterval(() => {
    if (written) void getApi().autosave.heartbeat(session);
  }, options.heartbeatMs ?? HEARTBEAT_MS);

  return () => {
    unsubscribeApp();
    unsubscribeDoc?.();
    if (timer) clearTimeout(timer);
    clearInterval(beat);
    document.removeEventListener('visibilitychange', onHidden);
    window.removeEventListener('pagehide', onHidden);
  };
}
