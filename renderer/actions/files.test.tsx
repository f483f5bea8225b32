import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setApi } from '../api/client';
import { FileDialog } from '../components/FileDialog';
import { Modal } from '../components/Modal';
import { useAppStore } from '../state/appStore';
import { createDocumentStore } from '../state/documentStore';
import { exampleDocument, fixtureBlocks } from '../testing/fixtures';
import { fakeApi } from '../testing/fakeApi';
import { openFromSystem, openPipeline } from './files';

const blocks = fixtureBlocks();
const host = { kind: 'browser' as const, nativeDialogs: false, version: '0.1.0', platform: 'linux', cores: 4, pipelinesFolder: '/home/u/Fluxo/pipelines' };
const opened = (path: string) => {
  const document = exampleDocument();
  document.metadata.name = 'From the system';
  return { ok: true as const, value: { path, document, migratedFrom: null } };
};

beforeEach(() => {
  useAppStore.setState({ modal: null, fileDialog: null, toasts: [], editor: null, screen: 'start' });
  useAppStore.getState().setLoaded({ host, catalog: { blocks, problems: [] }, targets: [], examples: [] });
  render(
    <>
      <FileDialog />
      <Modal />
    </>,
  );
});
afterEach(() => {
  cleanup();
  setApi(null);
});

describe('opening files', () => {
  it('a file from the system asks to save the current changes first, then opens it', async () => {
    const fake = fakeApi({ documents: { open: async (p: string) => opened(p) } });
    setApi(fake.api);
    useAppStore.getState().openEditor(createDocumentStore({ doc: exampleDocument(), path: null, blocks, dirty: true }));
    let done: Promise<boolean> | undefined;
    act(() => {
      done = openFromSystem('/home/u/other.fluxo');
    });
    const ask = await screen.findByRole('dialog', { name: 'Save changes?' });
    expect(ask.textContent).toContain('open another pipeline');
    fireEvent.click(screen.getByRole('button', { name: "Don't save" }));
    expect(await act(() => done!)).toBe(true);
    expect(useAppStore.getState().editor?.getState().doc.metadata.name).toBe('From the system');
  });

  it('a workshop pack is unpacked by the backend and its student copy opened', async () => {
    const fake = fakeApi({ workshops: { open: async () => ({ ok: true, value: { ...opened('/h/workshops/x-1/pipeline.fluxo').value, folder: '/h/workshops/x-1', path: '/h/workshops/x-1/pipeline.fluxo' } }) } });
    setApi(fake.api);
    expect(await openFromSystem('/home/u/Class.FLUXOPACK')).toBe(true);
    expect(fake.calls.map((c) => c.channel)).toEqual(['workshops.open']);
    expect(useAppStore.getState().editor?.getState().path).toBe('/h/workshops/x-1/pipeline.fluxo');
    expect(useAppStore.getState().toasts.at(-1)?.title).toBe('Workshop ready');
  });

  it('Open… in the browser lists pipelines and workshop packs', async () => {
    const fake = fakeApi({
      documents: {
        browse: async () => ({
          ok: true,
          value: {
            folder: '/home/u/Fluxo/pipelines',
            parent: null,
            entries: [
              { name: 'a.fluxo', path: '/home/u/Fluxo/pipelines/a.fluxo', kind: 'file' as const },
              { name: 'class.fluxopack', path: '/home/u/Fluxo/pipelines/class.fluxopack', kind: 'file' as const },
            ],
          },
        }),
      },
    });
    setApi(fake.api);
    act(() => void openPipeline());
    await screen.findByRole('dialog', { name: 'Open pipeline' });
    await waitFor(() => expect(screen.getByRole('button', { name: 'class.fluxopack' })).toBeTruthy());
    expect(fake.calls.find((c) => c.channel === 'documents.browse')?.args[1]).toEqual(['.fluxo', '.fluxopack']);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
  });
});
