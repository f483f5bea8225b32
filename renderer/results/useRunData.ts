import { useEffect, useState } from 'react';
import type { RunFolderListing } from '../../shared/api';
import { getApi } from '../api/client';
import { capitalize } from '../state/appStore';
import { useSession } from '../state/hooks';
import type { LoadedFile } from '../state/sessionStore';
import { fileKey, sessionStore } from '../state/sessionStore';
import { base64Bytes } from './outputs';

/** Loads a run file once per run and caches it in the session store. */
export function useRunFile(runId: string, path: string | null): LoadedFile | undefined {
  const loaded = useSession((s) => (path === null ? undefined : s.files[fileKey(runId, path)]));
  useEffect(() => {
    if (path === null || sessionStore.getState().files[fileKey(runId, path)]) return;
    sessionStore.getState().setFile(runId, path, { state: 'loading' });
    void getApi()
      .runs.readFile(runId, path)
      .then((r) => sessionStore.getState().setFile(runId, path, r.ok ? { state: 'ok', file: r.value } : { state: 'error', message: capitalize(r.error.message) }));
  }, [runId, path]);
  return loaded;
}

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'error'; message: string };

/** Lists a folder output (a DICOM series, a folder of slices). */
export function useRunFolder(runId: string, path: string): Loaded<RunFolderListing> {
  const [state, setState] = useState<{ key: string; loaded: Loaded<RunFolderListing> }>({ key: '', loaded: { state: 'loading' } });
  const key = `${runId}\n${path}`;
  useEffect(() => {
    let live = true;
    void getApi()
      .runs.listFiles(runId, path)
      .then((r) => live && setState({ key, loaded: r.ok ? { state: 'ok', value: r.value } : { state: 'error', message: capitalize(r.error.message) } }));
    return () => {
      live = false;
    };
  }, [runId, path, key]);
  return state.key === key ? state.loaded : { state: 'loading' };
}

/** How much of a table is read before asking: enough for thousands of rows, quick over IPC. */
export const TABLE_CAP_BYTES = 2 * 1024 * 1024;
const PIECE = 512 * 1024;

export interface TextPieces {
  text: string;
  bytesRead: number;
  size: number;
  eof: boolean;
}

/**
 * Reads a text file a piece at a time (runs.readRange) up to `cap` bytes; `more()` reads the next
 * `cap`. Large tables are never loaded whole just to show their first page.
 */
export function useTextPieces(runId: string, path: string, cap = TABLE_CAP_BYTES): { loaded: Loaded<TextPieces>; more: () => void; loadingMore: boolean } {
  const [loaded, setLoaded] = useState<Loaded<TextPieces>>({ state: 'loading' });
  const [limit, setLimit] = useState(cap);
  const [loadingMore, setLoadingMore] = useState(false);
  useEffect(() => {
    let live = true;
    const decoder = new TextDecoder('utf-8');
    (async () => {
      let text = '';
      let offset = 0;
      let size = 0;
      let eof = false;
      while (!eof && offset < limit) {
        const r = await getApi().runs.readRange(runId, path, offset, Math.min(PIECE, limit - offset));
        if (!live) return;
        if (!r.ok) {
          setLoaded({ state: 'error', message: capitalize(r.error.message) });
          setLoadingMore(false);
          return;
        }
        const bytes = base64Bytes(r.value.base64);
        text += decoder.decode(bytes, { stream: !r.value.eof });
        offset += bytes.length;
        size = r.value.size;
        eof = r.value.eof || bytes.length === 0;
      }
      if (!live) return;
      setLoaded({ state: 'ok', value: { text, bytesRead: offset, size, eof } });
      setLoadingMore(false);
    })();
    return () => {
      live = false;
    };
  }, [runId, path, limit]);
  return {
    loaded,
    loadingMore,
    more: () => {
      setLoadingMore(true);
      setLimit((l) => l + cap);
    },
  };
}
