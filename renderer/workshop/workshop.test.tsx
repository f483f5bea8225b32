import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { effectiveParams, isParamVisible } from '../../shared/catalog';
import { setApi } from '../api/client';
import { FileDialog } from '../components/FileDialog';
import { Modal } from '../components/Modal';
import { useAppStore } from '../state/appStore';
import { createDocumentStore } from '../state/documentStore';
import { exampleDocument, fixtureBlocks } from '../testing/fixtures';
import { fakeApi } from '../testing/fakeApi';
import { exportPack, isWorkshopCopy, openLockDialog, resetToOriginal, useWorkshopUi } from './actions';
import { LockDialog } from './LockDialog';
import { WorkshopBanner } from './WorkshopBanner';

const blocks = fixtureBlocks();
const host = { kind: 'browser' as const, nativeDialogs: false, version: '0.1.0', platform: 'linux', cores: 4, pipelinesFolder: '/home/u/Fluxo/pipelines' };

function open(path: string | null = null) {
  const store = createDocumentStore({ doc: exampleDocument(), path, blocks });
  useAppStore.getState().openEditor(store);
  return store;
}

function renderAll(store: ReturnType<typeof open>) {
  return render(
    <>
      <WorkshopBanner store={store} />
      <LockDialog />
      <FileDialog />
      <Modal />
    </>,
  );
}

beforeEach(() => {
  useAppStore.setState({ modal: null, fileDialog: null, toasts: [], editor: null, screen: 'start' });
  useAppStore.getState().setLoaded({ host, catalog: { blocks, problems: [] }, targets: [], examples: [] });
  useWorkshopUi.setState({ lockDialog: false });
});
afterEach(() => {
  cleanup();
  setApi(null);
});

describe('lock for students', () => {
  it('lists every visible param of every step; the ticked ones become the only editable params', () => {
    const store = open();
    renderAll(store);
    act(() => openLockDialog());
    const dialog = screen.getByRole('dialog', { name: 'Lock for students' });
    const doc = store.getState().doc;
    const boxes = dialog.querySelectorAll('input[type=checkbox]');
    const visible = doc.steps.flatMap((s) => {
      const block = blocks.find((b) => b.id === s.type)!;
      const values = effectiveParams(block, s.params);
      return block.params.filter((p) => isParamVisible(p, values)).map((p) => `${s.id}.${p.id}`);
    });
    expect(visible.length).toBeGreaterThan(1);
    expect([...boxes].map((b) => (b as HTMLInputElement).dataset.lockKey)).toEqual(visible);
    const first = boxes[0] as HTMLInputElement;
    const key = first.dataset.lockKey!;
    fireEvent.click(first);
    fireEvent.change(screen.getByLabelText('Message for students'), { target: { value: '  Change only this one.  ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Lock' }));
    expect(store.getState().doc.lock).toEqual({ editable: [key], message: 'Change only this one.' });
    expect(screen.queryByRole('dialog', { name: 'Lock for students' })).toBeNull();
    expect(screen.getByRole('region', { name: 'Workshop' }).textContent).toContain('Locked for students: they can change 1 setting');
    expect(screen.getByRole('region', { name: 'Workshop' }).textContent).toContain('Change only this one.');

    // Only the marked param changes now.
    const [stepId, paramId] = key.split('.') as [string, string];
    const other = doc.steps.flatMap((s) => Object.keys(s.params).map((p) => `${s.id}.${p}`)).find((k) => k !== key)!;
    const [otherStep, otherParam] = other.split('.') as [string, string];
    const before = store.getState().doc.steps.find((s) => s.id === otherStep)!.params[otherParam];
    store.getState().setParam(otherStep, otherParam, 'changed');
    expect(store.getState().doc.steps.find((s) => s.id === otherStep)!.params[otherParam]).toBe(before);
    store.getState().setParam(stepId, paramId, 7);
    expect(store.getState().doc.steps.find((s) => s.id === stepId)!.params[paramId]).toBe(7);
  });

  it('opening the dialog on a locked pipeline starts from its lock; Unlock asks first', async () => {
    const store = open();
    const key = `${store.getState().doc.steps[0]!.id}.${Object.keys(store.getState().doc.steps[0]!.params)[0]}`;
    store.getState().setLock({ editable: [key], message: 'Hi' });
    renderAll(store);
    act(() => openLockDialog());
    const box = screen.getByRole('dialog', { name: 'Lock for students' }).querySelector<HTMLInputElement>(`[data-lock-key="${key}"]`);
    expect(box?.checked).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));

    fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    const ask = await screen.findByRole('dialog', { name: 'Unlock the pipeline?' });
    fireEvent.click(ask.querySelector('button')!); // Cancel
    expect(store.getState().doc.lock).toBeDefined();
    fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    const again = await screen.findByRole('dialog', { name: 'Unlock the pipeline?' });
    fireEvent.click(again.querySelector('button.primary')!);
    await waitFor(() => expect(store.getState().doc.lock).toBeUndefined());
  });
});

describe('workshop packs', () => {
  it('recognises a student copy by where it was unpacked', () => {
    expect(isWorkshopCopy('/home/u/Fluxo/workshops/tumour-1/pipeline.fluxo')).toBe(true);
    expect(isWorkshopCopy('C:\\Users\\u\\Fluxo\\workshops\\t-2\\pipeline.fluxo')).toBe(true);
    expect(isWorkshopCopy('/home/u/pipeline.fluxo')).toBe(false);
    expect(isWorkshopCopy(null)).toBe(false);
  });

  it('exports through the in-app save dialog with the pack extension and reports the size', async () => {
    const fake = fakeApi({
      documents: { browse: async () => ({ ok: true, value: { folder: '/home/u/Fluxo/pipelines', parent: '/home/u/Fluxo', entries: [] } }) },
      workshops: { export: async (_d: unknown, p: string) => ({ ok: true, value: { path: p, bytes: 4096 } }) },
    });
    setApi(fake.api);
    const store = open();
    renderAll(store);
    let done: Promise<void> | undefined;
    act(() => {
      done = exportPack();
    });
    const dialog = await screen.findByRole('dialog', { name: 'Export workshop pack' });
    const name = screen.getByLabelText('File name') as HTMLInputElement;
    expect(name.value).toMatch(/\.fluxopack$/);
    fireEvent.change(name, { target: { value: 'class' } });
    fireEvent.click(dialog.querySelector('button.primary')!);
    await act(() => done!);
    expect(fake.calls.find((c) => c.channel === 'workshops.export')?.args[1]).toBe('/home/u/Fluxo/pipelines/class.fluxopack');
    expect(useAppStore.getState().toasts.at(-1)?.message).toContain('(4 KB)');
  });

  it('Reset to the original asks, then replaces the copy by the original, unsaved', async () => {
    const original = exampleDocument();
    original.metadata.name = 'The original';
    const fake = fakeApi({ workshops: { original: async (p: string) => ({ ok: true, value: { path: p, document: original, migratedFrom: null } }) } });
    setApi(fake.api);
    const path = '/home/u/Fluxo/workshops/class-1/pipeline.fluxo';
    const store = open(path);
    renderAll(store);
    let done: Promise<void> | undefined;
    act(() => {
      done = resetToOriginal();
    });
    const ask = await screen.findByRole('dialog', { name: 'Reset to the original?' });
    fireEvent.click(ask.querySelector('button.primary')!);
    await act(() => done!);
    const now = useAppStore.getState().editor!.getState();
    expect(now.doc.metadata.name).toBe('The original');
    expect(now.path).toBe(path);
    expect(now.dirty).toBe(true);
  });
});
