import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecentFile, RecoverableWork } from '../../shared/api';
import { setApi } from '../api/client';
import { sessionId } from '../actions/autosave';
import { Modal } from '../components/Modal';
import { useAppStore } from '../state/appStore';
import { exampleDocument, fixtureBlocks } from '../testing/fixtures';
import { fakeApi } from '../testing/fakeApi';
import { checkRecovery, useRecovery } from './recovery';
import { StartScreen } from './StartScreen';
import { Tour } from './Tour';
import { tourOutcome, useTour } from './tourState';

const blocks = fixtureBlocks();
const host = { kind: 'browser' as const, nativeDialogs: false, version: '0.1.0', platform: 'linux', cores: 4, pipelinesFolder: '/home/u/Fluxo/pipelines' };

function loaded() {
  useAppStore.setState({ modal: null, fileDialog: null, toasts: [], editor: null, screen: 'start' });
  useAppStore.getState().setLoaded({ host, catalog: { blocks, problems: [] }, targets: [{ id: 'local', title: 'This computer', description: '', kind: 'local' }], examples: [] });
}

function work(over: Partial<RecoverableWork> = {}): RecoverableWork {
  const document = exampleDocument();
  document.metadata.name = 'Tumour study';
  return { session: 'other-session-1', path: '/home/u/tumour.fluxo', name: 'Tumour study', savedAt: '2026-01-01T10:00:00Z', document, ...over };
}

function renderStart() {
  return render(
    <>
      <StartScreen />
      <Tour />
      <Modal />
    </>,
  );
}

beforeEach(() => {
  localStorage.clear();
  useTour.setState({ step: null, outcome: null });
  useRecovery.setState({ items: [] });
  loaded();
});
afterEach(() => {
  cleanup();
  setApi(null);
});

describe('first-run tour', () => {
  it('skipping the invitation is remembered, and "Take the tour" starts it again over the editor', async () => {
    setApi(fakeApi({ documents: { recent: async () => ({ ok: true, value: [] }) } }).api);
    renderStart();
    const invitation = screen.getByRole('region', { name: 'New to Fluxo?' });
    fireEvent.click(screen.getByRole('button', { name: 'Skip the tour' }));
    expect(invitation.isConnected).toBe(false);
    expect(localStorage.getItem('fluxo.tour')).toBe('skipped');
    // A new start reads what was remembered.
    expect(tourOutcome()).toBe('skipped');

    fireEvent.click(screen.getByRole('button', { name: 'Take the tour' }));
    const callout = await screen.findByRole('dialog', { name: '1. Pick blocks' });
    expect(callout.getAttribute('aria-modal')).toBe('false');
    expect(useAppStore.getState().screen).toBe('editor');
    // Focus moves into the callout so a screen reader reads it.
    expect(callout.contains(document.activeElement)).toBe(true);
  });

  it('walks four steps with Next and Back, Finish remembers it as done, Escape skips', async () => {
    setApi(fakeApi({ documents: { recent: async () => ({ ok: true, value: [] }) } }).api);
    renderStart();
    fireEvent.click(screen.getByRole('button', { name: 'Take the tour' }));
    await screen.findByRole('dialog', { name: '1. Pick blocks' });
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    screen.getByRole('dialog', { name: '2. Connect the steps' });
    fireEvent.click(screen.getByRole('button', { name: 'Back' }));
    screen.getByRole('dialog', { name: '1. Pick blocks' });
    for (const title of ['2. Connect the steps', '3. Change the settings', '4. Run it']) {
      fireEvent.click(screen.getByRole('button', { name: 'Next' }));
      expect(screen.getByRole('dialog', { name: title }).textContent).toContain(`of 4`);
    }
    fireEvent.click(screen.getByRole('button', { name: 'Finish' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(localStorage.getItem('fluxo.tour')).toBe('done');

    act(() => useTour.getState().start());
    fireEvent.keyDown(screen.getByRole('dialog', { name: '1. Pick blocks' }), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(localStorage.getItem('fluxo.tour')).toBe('skipped');
  });
});

describe('recent files', () => {
  it('lists recent files, marks a missing one, and removes it on request', async () => {
    let list: RecentFile[] = [
      { path: '/home/u/a.fluxo', name: 'Study A', openedAt: '2026-01-02T00:00:00Z', exists: true },
      { path: '/home/u/gone.fluxo', name: 'Old study', openedAt: '2026-01-01T00:00:00Z', exists: false },
    ];
    const fake = fakeApi({
      documents: {
        recent: async () => ({ ok: true, value: list }),
        forgetRecent: async (p: string) => {
          list = list.filter((f) => f.path !== p);
          return { ok: true, value: undefined };
        },
      },
    });
    setApi(fake.api);
    renderStart();
    const region = await screen.findByRole('region', { name: 'Recent files' });
    expect(screen.getByRole('button', { name: 'Open recent file Study A' })).toBeTruthy();
    expect(region.textContent).toContain('Missing');
    expect(screen.queryByRole('button', { name: 'Open recent file Old study' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Remove Old study from the recent files' }));
    await waitFor(() => expect(region.textContent).not.toContain('Old study'));
    expect(fake.calls.filter((c) => c.channel === 'documents.forgetRecent').map((c) => c.args)).toEqual([['/home/u/gone.fluxo']]);
  });
});

describe('crash recovery', () => {
  it('offers work left by a closed window; Restore opens it unsaved at its path and drops the old copy', async () => {
    const fake = fakeApi({
      documents: { recent: async () => ({ ok: true, value: [] }) },
      autosave: { recoverable: async () => ({ ok: true, value: [work()] }), discard: async () => ({ ok: true, value: undefined }) },
    });
    setApi(fake.api);
    renderStart();
    await act(() => checkRecovery());
    expect(fake.calls.find((c) => c.channel === 'autosave.recoverable')?.args).toEqual([sessionId()]);
    const notice = screen.getByRole('region', { name: 'Unsaved changes found' });
    expect(notice.textContent).toContain('Fluxo closed before these changes were saved:');
    expect(notice.textContent).toContain('/home/u/tumour.fluxo');
    fireEvent.click(screen.getByRole('button', { name: 'Restore the unsaved changes to Tumour study' }));
    await waitFor(() => expect(useAppStore.getState().screen).toBe('editor'));
    const state = useAppStore.getState().editor!.getState();
    expect(state.dirty).toBe(true);
    expect(state.path).toBe('/home/u/tumour.fluxo');
    expect(state.doc.metadata.name).toBe('Tumour study');
    await waitFor(() => expect(fake.calls.filter((c) => c.channel === 'autosave.discard').map((c) => c.args)).toEqual([['other-session-1']]));
  });

  it('Discard removes the autosave and the notice', async () => {
    const fake = fakeApi({
      documents: { recent: async () => ({ ok: true, value: [] }) },
      autosave: { recoverable: async () => ({ ok: true, value: [work({ path: null })] }), discard: async () => ({ ok: true, value: undefined }) },
    });
    setApi(fake.api);
    renderStart();
    await act(() => checkRecovery());
    expect(screen.getByRole('region', { name: 'Unsaved changes found' }).textContent).toContain('Never saved');
    fireEvent.click(screen.getByRole('button', { name: 'Discard the unsaved changes to Tumour study' }));
    expect(screen.queryByRole('region', { name: 'Unsaved changes found' })).toBeNull();
    await waitFor(() => expect(fake.calls.some((c) => c.channel === 'autosave.discard')).toBe(true));
    expect(useAppStore.getState().editor).toBeNull();
  });
});
