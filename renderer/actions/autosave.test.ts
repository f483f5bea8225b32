import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setApi } from '../api/client';
import { useAppStore } from '../state/appStore';
import { createDocumentStore } from '../state/documentStore';
import { exampleDocument, fixtureBlocks } from '../testing/fixtures';
import { fakeApi } from '../testing/fakeApi';
import { sessionId, startAutosave } from './autosave';

const blocks = fixtureBlocks();
let fake: ReturnType<typeof fakeApi>;
let stop: () => void;

const calls = (channel: string) => fake.calls.filter((c) => c.channel === channel);
const open = (path: string | null = '/home/u/a.fluxo') => {
  const store = createDocumentStore({ doc: exampleDocument(), path, blocks });
  useAppStore.getState().openEditor(store);
  return store;
};
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

beforeEach(() => {
  vi.useFakeTimers();
  useAppStore.setState({ editor: null, screen: 'start' });
  fake = fakeApi({ autosave: { write: async () => ({ ok: true, value: undefined }), discard: async () => ({ ok: true, value: undefined }), heartbeat: async () => ({ ok: true, value: undefined }) } });
  setApi(fake.api);
  stop = startAutosave({ intervalMs: 3000, heartbeatMs: 10_000 });
});
afterEach(() => {
  stop();
  vi.useRealTimers();
  setApi(null);
});

describe('autosave', () => {
  it('writes unsaved changes a few seconds after an edit, once per burst, with the saved path', async () => {
    const store = open();
    store.getState().renamePipeline('Edited');
    store.getState().renamePipeline('Edited twice');
    expect(calls('autosave.write')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(3000);
    expect(calls('autosave.write')).toHaveLength(1);
    const [session, doc, path] = calls('autosave.write')[0]!.args as [string, { metadata: { name: string } }, string];
    expect(session).toBe(sessionId());
    expect(doc.metadata.name).toBe('Edited twice');
    expect(path).toBe('/home/u/a.fluxo');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls('autosave.heartbeat').length).toBeGreaterThanOrEqual(1);
  });

  it('writes at once when the window is hidden', async () => {
    const store = open();
    store.getState().renamePipeline('Hidden');
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    await settle();
    expect(calls('autosave.write')).toHaveLength(1);
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
  });

  it('a clean save removes the autosave, and so does replacing the pipeline without saving', async () => {
    const store = open();
    store.getState().renamePipeline('Edited');
    await vi.advanceTimersByTimeAsync(3000);
    const { doc } = store.getState();
    store.getState().markSaved('/home/u/a.fluxo', doc, doc);
    await settle();
    expect(calls('autosave.discard')).toHaveLength(1);

    store.getState().renamePipeline('Edited again');
    await vi.advanceTimersByTimeAsync(3000);
    expect(calls('autosave.write')).toHaveLength(2);
    open(null);
    await settle();
    expect(calls('autosave.discard')).toHaveLength(2);
  });

  it('never writes a pipeline without changes', async () => {
    open();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(calls('autosave.write')).toHaveLength(0);
    expect(calls('autosave.heartbeat')).toHaveLength(0);
  });
});
