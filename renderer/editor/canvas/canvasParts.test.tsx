import { ReactFlowProvider } from '@xyflow/react';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEmptyDocument } from '../../../shared/document';
import { createDocumentStore } from '../../state/documentStore';
import { DocumentStoreContext } from '../../state/hooks';
import { fixtureBlocks } from '../../testing/fixtures';
import { ProblemsList } from '../ProblemsList';
import { runBadge } from '../StepNode';
import { copyFragment, fragmentFromText, fragmentToText, readClipboard, resetInAppClipboard, writeClipboard } from './clipboard';
import { commandFor, isTyping } from './shortcuts';

const blocks = fixtureBlocks();
const store = () => {
  const s = createDocumentStore({ doc: createEmptyDocument('T', new Date()), path: null, blocks });
  s.getState().addStep('clinical-dataset');
  s.getState().addStep('split-train-test');
  s.getState().connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
  return s;
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  resetInAppClipboard();
});

describe('clipboard', () => {
  it('a copied fragment survives the round trip through text, with its connections', () => {
    const s = store();
    const fragment = copyFragment(s.getState().doc, { steps: ['dataset', 'split'], notes: [] })!;
    expect(fragmentFromText(fragmentToText(fragment))).toEqual(fragment);
    expect(fragment.connections).toHaveLength(1);
  });

  it('foreign text on the clipboard is ignored, never an error', () => {
    for (const text of ['hello', '{"steps": 3}', '[1,2]', '', '{"kind":"fluxo-fragment","version":1,"steps":[{"id":"BAD ID"}],"connections":[],"notes":[]}']) {
      expect(fragmentFromText(text)).toBeNull();
    }
  });

  it('when the system clipboard is denied, copy and paste use the in-app clipboard', async () => {
    const denied = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText: denied, readText: denied } });
    const s = store();
    await writeClipboard(copyFragment(s.getState().doc, { steps: ['split'], notes: [] })!);
    const pasted = await readClipboard();
    expect(pasted?.steps.map((x) => x.id)).toEqual(['split']);
  });

  it('when copying to the system clipboard fails, paste uses the app copy, not older text there', async () => {
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText: () => Promise.reject(new Error('denied')), readText: async () => 'old text from elsewhere' } });
    const s = store();
    await writeClipboard(copyFragment(s.getState().doc, { steps: ['dataset'], notes: [] })!);
    expect((await readClipboard())?.steps.map((x) => x.id)).toEqual(['dataset']);
  });

  it('text copied from another program after a Fluxo copy is not pasted as steps', async () => {
    let system = '';
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText: async (t: string) => void (system = t), readText: async () => system } });
    const s = store();
    await writeClipboard(copyFragment(s.getState().doc, { steps: ['split'], notes: [] })!);
    system = 'some words from a web page';
    expect(await readClipboard()).toBeNull();
  });
});

describe('shortcuts', () => {
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => commandFor({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

  it('maps every documented key to its command', () => {
    expect(key('z', { ctrlKey: true })).toBe('undo');
    expect(key('Z', { ctrlKey: true, shiftKey: true })).toBe('redo');
    expect(key('y', { ctrlKey: true })).toBe('redo');
    expect(key('z', { metaKey: true })).toBe('undo');
    expect(['c', 'x', 'v', 'd', 'a'].map((k) => key(k, { ctrlKey: true }))).toEqual(['copy', 'cut', 'paste', 'duplicate', 'selectAll']);
    expect(['L', 'F', 'N'].map((k) => key(k, { shiftKey: true }))).toEqual(['tidy', 'fit', 'addNote']);
    expect(key('?', { shiftKey: true })).toBe('openHelp');
    expect(key('l')).toBeNull();
  });

  it('never fires while typing in a field, a note or a dialog', () => {
    document.body.innerHTML = '<input id="i"><textarea id="t"></textarea><div role="dialog"><button id="b"></button></div><div id="d" tabindex="0"></div>';
    expect(['i', 't', 'b'].map((id) => isTyping(document.getElementById(id)))).toEqual([true, true, true]);
    expect(isTyping(document.getElementById('d'))).toBe(false);
    document.body.innerHTML = '';
  });
});

describe('run states on steps', () => {
  const base = { scheduler: null, cached: false } as const;
  it('a queued step says why in words, a cached one that it was reused; every state has words', () => {
    expect(runBadge({ state: 'waiting', cached: false, scheduler: { state: 'PENDING', reason: 'Resources', reasonText: 'waiting for a free GPU', exitCode: null, seenAt: '' } })).toEqual({ kind: 'queued', text: 'Queued', detail: 'waiting for a free GPU' });
    expect(runBadge({ state: 'completed', cached: true, scheduler: null })).toEqual({ kind: 'cached', text: 'Completed', detail: 'reused from an earlier run' });
    for (const state of ['waiting', 'running', 'completed', 'failed', 'cancelled', 'skipped'] as const) expect(runBadge({ ...base, state }).text).toMatch(/^[A-Z][a-z]+$/);
  });
});

describe('problems list', () => {
  it('a problem jumps to its step and focuses its field in the inspector', async () => {
    const s = createDocumentStore({ doc: createEmptyDocument('T', new Date()), path: null, blocks });
    s.getState().addStep('split-train-test');
    s.getState().setParam('split', 'test_fraction', 5);
    render(
      <DocumentStoreContext.Provider value={s}>
        <ReactFlowProvider>
          <div data-step="split">
            <input data-field="test_fraction" aria-label="Test fraction" />
          </div>
          <ProblemsList />
        </ReactFlowProvider>
      </DocumentStoreContext.Provider>,
    );
    const problem = s.getState().problems.find((p) => p.field === 'test_fraction')!;
    fireEvent.click(screen.getByRole('button', { name: problem.message }));
    expect(s.getState().selection.steps).toEqual(['split']);
    await act(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(document.activeElement).toBe(screen.getByLabelText('Test fraction'));
  });
});
