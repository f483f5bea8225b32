import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../shared/api';
import { ErrorCode } from '../../shared/api';
import { setApi } from '../api/client';
import { FileDialog } from '../components/FileDialog';
import { Modal } from '../components/Modal';
import { useAppStore } from '../state/appStore';
import { createDocumentStore } from '../state/documentStore';
import { sessionStore } from '../state/sessionStore';
import { exampleDocument, fixtureBlocks } from '../testing/fixtures';
import { fakeApi } from '../testing/fakeApi';
import { newPipeline, save, suggestedFileName } from './files';
import { connectSession, startRun } from './run';

const blocks = fixtureBlocks();
const host = { kind: 'browser' as const, nativeDialogs: false, version: '0.1.0', platform: 'linux', cores: 4, pipelinesFolder: '/home/u/Fluxo/pipelines' };

function openExample(path: string | null = null, dirty = false) {
  const store = createDocumentStore({ doc: exampleDocument(), path, blocks, dirty });
  useAppStore.getState().openEditor(store);
  return store;
}

function runRecord(over: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'r1', pipelineName: 'Breast cancer classifier', pipelinePath: null, targetId: 'local', status: 'running', runDir: '/runs/r1',
    createdAt: '2026-01-01T00:00:00Z', endedAt: null, python: 'python3', error: null,
    steps: [{ id: 'train', label: 'Train classifier', blockId: 'train-classifier', state: 'waiting', exitCode: null, startedAt: null, endedAt: null, seconds: null, log: 'logs/train.log', outputs: [], tasks: null, marker: null, detail: null }],
    ...over,
  };
}

describe('file and run actions', () => {
  beforeEach(() => {
    useAppStore.setState({ modal: null, fileDialog: null, toasts: [], editor: null, screen: 'start', panelTab: 'problems' });
    useAppStore.getState().setLoaded({ host, catalog: { blocks, problems: [] }, targets: [{ id: 'local', title: 'This computer', description: '', kind: 'local' }], examples: [] });
    sessionStore.getState().clear();
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

  it('a run that cannot start shows the message and the hint in an alert dialog', async () => {
    const { api } = fakeApi({
      runs: {
        start: async () => ({
          ok: false,
          error: { code: ErrorCode.PythonPackagesMissing, message: 'steps "Train classifier" need Python packages that are missing: scikit-learn', hint: 'Install them with: python3 -m pip install scikit-learn' },
        }),
      },
    });
    setApi(api);
    openExample();
    // startRun waits for the alert to be answered, so it is not awaited here.
    let running: Promise<unknown> | undefined;
    act(() => {
      running = startRun();
    });
    const dialog = await screen.findByRole('alertdialog', { name: 'The run could not start' });
    expect(dialog.textContent).toContain('Steps "Train classifier" need Python packages that are missing: scikit-learn');
    expect(dialog.textContent).toContain('python3 -m pip install scikit-learn');
    expect(dialog.textContent).toContain('E401');
    expect(sessionStore.getState().starting).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'OK' }));
    await act(() => running!);
  });

  it('a started run is fed by events and switches to the results when it completes', async () => {
    const fake = fakeApi({ runs: { start: async () => ({ ok: true, value: runRecord() }) } });
    setApi(fake.api);
    const off = connectSession();
    const store = openExample();
    await act(() => startRun());
    expect(fake.calls.find((c) => c.channel === 'runs.start')?.args[0]).toMatchObject({ targetId: 'local', pipelinePath: null });
    expect(useAppStore.getState().panelTab).toBe('log');
    act(() => fake.emit([{ type: 'run.finished', run: runRecord({ status: 'completed', endedAt: '2026-01-01T00:00:09Z' }) }]));
    expect(sessionStore.getState().run?.status).toBe('completed');
    expect(useAppStore.getState().panelTab).toBe('results');
    expect(store.getState().dirty).toBe(false);
    off();
  });

  it('Save without a path asks for a file name in the in-app dialog and saves with .fluxo appended', async () => {
    const fake = fakeApi({
      documents: {
        browse: async () => ({ ok: true, value: { folder: '/home/u/Fluxo/pipelines', parent: '/home/u/Fluxo', entries: [] } }),
        save: async (path: string) => ({ ok: true, value: { path } }),
      },
    });
    setApi(fake.api);
    const store = openExample(null, true);
    const saving = save();
    const field = await screen.findByLabelText('File name');
    expect((field as HTMLInputElement).value).toBe('Breast cancer classifier.fluxo');
    fireEvent.change(field, { target: { value: 'tumours' } });
    await waitFor(() => expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await act(async () => {
      expect(await saving).toBe(true);
    });
    const call = fake.calls.find((c) => c.channel === 'documents.save')!;
    expect(call.args[0]).toBe('/home/u/Fluxo/pipelines/tumours.fluxo');
    expect(store.getState()).toMatchObject({ dirty: false, path: '/home/u/Fluxo/pipelines/tumours.fluxo' });
  });

  it('New with unsaved changes asks first, and Cancel keeps the pipeline', async () => {
    setApi(fakeApi().api);
    const store = openExample('/p/x.fluxo', true);
    const pending = newPipeline();
    const dialog = await screen.findByRole('dialog', { name: 'Save changes?' });
    expect(dialog.textContent).toContain('Breast cancer classifier');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await act(() => pending);
    expect(useAppStore.getState().editor).toBe(store);

    const again = newPipeline();
    fireEvent.click(await screen.findByRole('button', { name: "Don't save" }));
    await act(() => again);
    expect(useAppStore.getState().editor).not.toBe(store);
    expect(useAppStore.getState().editor?.getState().doc.steps).toEqual([]);
  });

  it('a failed save shows the message and the hint, and keeps the document dirty', async () => {
    setApi(fakeApi({ documents: { save: async () => ({ ok: false, error: { code: ErrorCode.FileUnwritable, message: 'could not save /p/x.fluxo: disk full', hint: 'The previous version of the file is unchanged.' } }) } }).api);
    const store = openExample('/p/x.fluxo', true);
    await act(async () => {
      expect(await save()).toBe(false);
    });
    expect(useAppStore.getState().toasts.at(-1)).toMatchObject({ kind: 'error', message: 'Could not save /p/x.fluxo: disk full', hint: 'The previous version of the file is unchanged.' });
    expect(store.getState().dirty).toBe(true);
  });

  it('suggests a file name without characters file systems refuse', () => {
    expect(suggestedFileName('Tumours: v2/final?')).toBe('Tumours v2 final.fluxo');
    expect(suggestedFileName('   ')).toBe('Untitled pipeline.fluxo');
  });
});
