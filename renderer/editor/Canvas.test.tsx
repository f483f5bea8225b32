import { ReactFlowProvider } from '@xyflow/react';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmptyDocument } from '../../shared/document';
import { useAppStore } from '../state/appStore';
import { createDocumentStore } from '../state/documentStore';
import { DocumentStoreContext } from '../state/hooks';
import { fixtureBlocks } from '../testing/fixtures';
import { canvasUi } from './canvas/canvasUi';
import { FlowElementCache } from './canvas/flowElements';
import { Canvas } from './Canvas';
import { stepNodeRenders } from './StepNode';

const blocks = fixtureBlocks();
const blocksById = new Map(blocks.map((b) => [b.id, b]));

// jsdom has no layout: React Flow needs a sized pane and these browser classes (its testing guide).
beforeAll(() => {
  class ResizeObserver {
    constructor(private cb: ResizeObserverCallback) {}
    observe(target: Element) {
      this.cb([{ target, contentRect: { width: 1000, height: 800 } } as unknown as ResizeObserverEntry], this as unknown as globalThis.ResizeObserver);
    }
    unobserve() {}
    disconnect() {}
  }
  globalThis.ResizeObserver = ResizeObserver as unknown as typeof globalThis.ResizeObserver;
  class DOMMatrixReadOnly {
    m22: number;
    constructor(transform: string) {
      const scale = /scale\(([1-9.])\)/.exec(transform)?.[1];
      this.m22 = scale !== undefined ? +scale : 1;
    }
  }
  (globalThis as unknown as { DOMMatrixReadOnly: unknown }).DOMMatrixReadOnly = DOMMatrixReadOnly;
  Object.defineProperties(HTMLElement.prototype, {
    offsetHeight: { get: () => 800, configurable: true },
    offsetWidth: { get: () => 1000, configurable: true },
  });
});

/** A three-step chain, measured as the browser would, on a real React Flow canvas. */
function setup() {
  const store = createDocumentStore({ doc: createEmptyDocument('T', new Date()), path: null, blocks });
  const s = store.getState();
  s.addStep('clinical-dataset', { x: 0, y: 0 });
  s.addStep('split-train-test', { x: 260, y: 0 });
  s.addStep('train-classifier', { x: 520, y: 0 });
  s.connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
  s.connect({ step: 'split', port: 'train' }, { step: 'train', port: 'train' });
  for (const id of ['dataset', 'split', 'train']) s.setMeasured(id, { width: 210, height: 120 });
  render(
    <DocumentStoreContext.Provider value={store}>
      <ReactFlowProvider>
        <Canvas />
      </ReactFlowProvider>
    </DocumentStoreContext.Provider>,
  );
  return store;
}

describe('canvas', () => {
  beforeEach(() => {
    useAppStore.getState().setLoaded({ host: null, catalog: { blocks, problems: [] }, targets: [], examples: [] });
    stepNodeRenders.clear();
  });
  afterEach(() => {
    cleanup();
    canvasUi.setState({ helpOpen: false, connectFrom: null, editingNote: null });
  });

  it('dragging one node re-renders only that node', async () => {
    const store = setup();
    await waitFor(() => expect(stepNodeRenders.get('train')).toBeGreaterThan(0));
    stepNodeRenders.clear();
    act(() => {
      const s = store.getState();
      s.beginGesture();
      for (let frame = 1; frame <= 10; frame++) s.moveMany({ steps: { split: { x: 260 + frame * 5, y: frame * 3 } } }, { burst: true });
      s.endGesture();
    });
    expect(stepNodeRenders.get('split')).toBeGreaterThan(0);
    expect(stepNodeRenders.get('dataset') ?? 0).toBe(0);
    expect(stepNodeRenders.get('train') ?? 0).toBe(0);
  });

  it('a port opens "Connect to…" with Enter and lists only compatible ports of other steps', async () => {
    setup();
    const handle = await screen.findByTestId('handle-split-out-test');
    act(() => {
      handle.focus();
      handle.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    const dialog = await screen.findByRole('dialog', { name: 'Connect Split train/test › Test to…' });
    const options = [...dialog.querySelectorAll('.connect-choice')].map((b) => b.textContent);
    expect(options).toEqual(['Train classifier › Train (table.csv)']);
  });

  it('a locked pipeline says why nothing can be moved', async () => {
    const store = setup();
    act(() => store.getState().setLock({ editable: [], message: 'Only look, today' }));
    expect((await screen.findByTestId('canvas-lock-banner')).textContent).toContain('Locked by your instructor: you can change the marked settings');
    expect(screen.getByTestId('canvas-lock-banner').textContent).toContain('Only look, today');
  });
});

describe('past runs', () => {
  beforeEach(() => {
    useAppStore.getState().setLoaded({ host: null, catalog: { blocks, problems: [] }, targets: [], examples: [] });
  });
  afterEach(cleanup);

  it("a past run's canvas says it is read only", async () => {
    const doc = createEmptyDocument('T', new Date());
    const store = createDocumentStore({ doc: { ...doc, steps: [{ id: 'split', type: 'split-train-test', version: 1, label: '', params: {}, position: { x: 0, y: 0 } }] }, path: null, blocks, readOnly: true });
    render(
      <DocumentStoreContext.Provider value={store}>
        <ReactFlowProvider>
          <Canvas />
        </ReactFlowProvider>
      </DocumentStoreContext.Provider>,
    );
    expect((await screen.findByTestId('canvas-lock-banner')).textContent).toContain('A past run: read only');
  });
});

describe('flow elements', () => {
  it('moving one step replaces only that node object; every edge keeps its object', () => {
    const store = createDocumentStore({ doc: createEmptyDocument('T', new Date()), path: null, blocks });
    const s = store.getState();
    for (const id of ['clinical-dataset', 'split-train-test', 'train-classifier']) s.addStep(id);
    s.connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
    s.connect({ step: 'split', port: 'train' }, { step: 'train', port: 'train' });
    const cache = new FlowElementCache();
    const build = () => {
      const { doc, measured } = store.getState();
      return { nodes: cache.stepNodes(doc.steps, new Set(), measured, blocksById), edges: cache.edgeList(doc.connections, doc.steps, new Set(), blocksById, () => '') };
    };
    const first = build();
    store.getState().moveStep('split', { x: 300, y: 40 });
    const second = build();
    expect(second.nodes.map((n, i) => n === first.nodes[i])).toEqual([true, false, true]);
    expect(second.nodes[1]!.position).toEqual({ x: 300, y: 40 });
    expect(second.edges.every((e, i) => e === first.edges[i])).toBe(true);
    // Selecting one step replaces that node only.
    const third = { nodes: cache.stepNodes(store.getState().doc.steps, new Set(['train']), {}, blocksById) };
    expect(third.nodes.map((n, i) => n === second.nodes[i])).toEqual([true, true, false]);
  });
});
