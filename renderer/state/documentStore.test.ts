import { describe, expect, it } from 'vitest';
import { createEmptyDocument } from '../../shared/document';
import { exampleDocument, fixtureBlocks } from '../testing/fixtures';
import { connectionId, createDocumentStore, documentForSaving, findFreeSpot, history } from './documentStore';
import { createSessionStore } from './sessionStore';

const blocks = fixtureBlocks();
const emptyStore = () => createDocumentStore({ doc: createEmptyDocument('Test', new Date('2026-01-01T00:00:00Z')), path: null, blocks });

/** Dataset → Split → Train, Split → Evaluate, as a user would build it. */
function builtStore() {
  const store = emptyStore();
  const s = store.getState();
  for (const id of ['clinical-dataset', 'split-train-test', 'train-classifier', 'evaluate-classifier', 'report']) s.addStep(id);
  return store;
}

describe('document store', () => {
  it('adding two Split steps gives ids split and split-2', () => {
    const store = emptyStore();
    expect(store.getState().addStep('split-train-test')).toBe('split');
    expect(store.getState().addStep('split-train-test')).toBe('split-2');
    const [a, b] = store.getState().doc.steps;
    expect(a).toMatchObject({ id: 'split', type: 'split-train-test', version: 1, label: 'Split train/test' });
    expect(a!.params).toEqual({ target_column: 'target', test_fraction: 0.25, stratify: true, seed: 42 });
    expect(b!.id).toBe('split-2');
  });

  it('adding steps by click chains them left to right, selects the new one and asks the canvas to fit', () => {
    const store = builtStore();
    expect(store.getState().doc.steps.map((s) => s.position)).toEqual([0, 260, 520, 780, 1040].map((x) => ({ x, y: 0 })));
    expect(store.getState().selection.steps).toEqual(['report']);
    expect(store.getState().fitRequest).toBe(5);
    // Dropping at a point keeps that point and leaves the view alone.
    store.getState().addStep('report', { x: 10.4, y: 20.6 });
    expect(store.getState().doc.steps.at(-1)!.position).toEqual({ x: 10, y: 21 });
    expect(store.getState().fitRequest).toBe(5);
  });

  it('a locked pipeline lets a student change only the marked params: no moves, no new steps, no rewiring', () => {
    const store = builtStore();
    const before = store.getState().doc.connections.length;
    store.getState().connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
    store.getState().setLock({ editable: ['split.test_fraction'], message: 'Try other test fractions' });
    const locked = store.getState();
    locked.setParam('split', 'test_fraction', 0.4);
    locked.setParam('split', 'seed', 7);
    locked.moveStep('split', { x: 999, y: 999 });
    locked.removeSteps(['train']);
    expect(locked.addStep('report')).toBeNull();
    expect(locked.connect({ step: 'split', port: 'train' }, { step: 'train', port: 'train' }).ok).toBe(false);
    const doc = store.getState().doc;
    expect(doc.steps.find((s) => s.id === 'split')!.params).toMatchObject({ test_fraction: 0.4, seed: 42 });
    expect(doc.steps.find((s) => s.id === 'split')!.position).toEqual({ x: 260, y: 0 });
    expect(doc.steps.map((s) => s.id)).toContain('train');
    expect(doc.connections).toHaveLength(before + 1);
    store.getState().setLock(null);
    store.getState().setParam('split', 'seed', 7);
    expect(store.getState().doc.steps.find((s) => s.id === 'split')!.params.seed).toBe(7);
  });

  it("a past run's pipeline changes in no way", () => {
    const store = createDocumentStore({ doc: builtStore().getState().doc, path: null, blocks, readOnly: true });
    const doc = store.getState().doc;
    store.getState().setParam('split', 'seed', 1);
    store.getState().setResources('train', { cpus: 4 });
    store.getState().renamePipeline('Other');
    expect(store.getState().doc).toBe(doc);
    expect(store.getState().dirty).toBe(false);
  });

  it('resource overrides merge, and clearing the last one removes the section from the file', () => {
    const store = builtStore();
    store.getState().setResources('train', { cpus: 4, memoryMb: 8192 });
    store.getState().setResources('train', { cpus: undefined, timeMinutes: 30 });
    expect(store.getState().doc.steps.find((s) => s.id === 'train')!.resources).toEqual({ memoryMb: 8192, timeMinutes: 30 });
    store.getState().setResources('train', { memoryMb: undefined, timeMinutes: undefined });
    expect('resources' in store.getState().doc.steps.find((s) => s.id === 'train')!).toBe(false);
  });

  it('an unknown block adds nothing', () => {
    const store = emptyStore();
    expect(store.getState().addStep('no-such-block')).toBeNull();
    expect(store.getState().dirty).toBe(false);
  });

  it('connecting compatible ports adds the connection and clears the unconnected-input problem', () => {
    const store = builtStore();
    const before = store.getState().problems.filter((p) => p.stepId === 'split' && p.field === 'inputs.table');
    expect(before).toHaveLength(1);
    const check = store.getState().connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
    expect(check).toEqual({ ok: true, reason: null });
    expect(store.getState().doc.connections).toEqual([{ from: { step: 'dataset', port: 'table' }, to: { step: 'split', port: 'table' } }]);
    expect(store.getState().problems.filter((p) => p.stepId === 'split' && p.field === 'inputs.table')).toHaveLength(0);
  });

  it('connecting an output to an incompatible input is refused with the reason', () => {
    const store = builtStore();
    const check = store.getState().connect({ step: 'split', port: 'train' }, { step: 'evaluate', port: 'model' });
    expect(check.ok).toBe(false);
    expect(check.reason).toBe('Model of Evaluate classifier needs a trained scikit-learn model, but Train of Split train/test gives a table (CSV)');
    expect(store.getState().doc.connections).toEqual([]);
  });

  it('a connection that would close a loop is refused', () => {
    const store = builtStore();
    store.getState().addStep('split-train-test');
    store.getState().connect({ step: 'split', port: 'train' }, { step: 'split-2', port: 'table' });
    const check = store.getState().connect({ step: 'split-2', port: 'test' }, { step: 'split', port: 'table' });
    expect(check.ok).toBe(false);
    expect(check.reason).toMatch(/loop/);
  });

  it('a new connection into an input replaces the old one', () => {
    const store = builtStore();
    store.getState().connect({ step: 'split', port: 'train' }, { step: 'train', port: 'train' });
    store.getState().connect({ step: 'split', port: 'test' }, { step: 'train', port: 'train' });
    expect(store.getState().doc.connections.map(connectionId)).toEqual(['split:test->train:train']);
  });

  it('removing steps removes their connections and their selection', () => {
    const store = builtStore();
    const s = store.getState();
    s.connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
    s.connect({ step: 'split', port: 'train' }, { step: 'train', port: 'train' });
    s.select({ steps: ['split', 'train'], connections: ['dataset:table->split:table'] });
    store.getState().removeSteps(['split']);
    expect(store.getState().doc.steps.map((x) => x.id)).toEqual(['dataset', 'train', 'evaluate', 'report']);
    expect(store.getState().doc.connections).toEqual([]);
    expect(store.getState().selection).toEqual({ steps: ['train'], connections: [], notes: [] });
  });

  it('disconnecting removes only the named connections', () => {
    const store = builtStore();
    store.getState().connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
    store.getState().connect({ step: 'split', port: 'train' }, { step: 'train', port: 'train' });
    store.getState().disconnect(['dataset:table->split:table']);
    expect(store.getState().doc.connections.map(connectionId)).toEqual(['split:train->train:train']);
  });

  it('setting a param stores it, and clearing it falls back to the default', () => {
    const store = builtStore();
    store.getState().setParam('train', 'model', 'random_forest');
    store.getState().setParam('train', 'n_estimators', 100);
    const train = () => store.getState().doc.steps.find((s) => s.id === 'train')!;
    expect(train().params).toMatchObject({ model: 'random_forest', n_estimators: 100 });
    store.getState().setParam('train', 'n_estimators', undefined);
    expect('n_estimators' in train().params).toBe(false);
  });

  it('an out-of-range param becomes a problem on its step', () => {
    const store = builtStore();
    store.getState().setParam('split', 'test_fraction', 2);
    expect(store.getState().problems.find((p) => p.stepId === 'split' && p.field === 'test_fraction')?.message).toBe('Split train/test: Test fraction must be at most 0.9 (it is 2)');
  });

  it('an edit that changes nothing does not make the document dirty', () => {
    const store = builtStore();
    store.getState().markSaved('/p/a.fluxo', store.getState().doc, store.getState().doc);
    store.getState().setParam('split', 'seed', 42); // same as the stored default
    store.getState().setLabel('split', 'Split train/test');
    store.getState().moveStep('split', store.getState().doc.steps[1]!.position);
    expect(store.getState().dirty).toBe(false);
    store.getState().setLabel('split', 'Hold out a quarter');
    expect(store.getState().dirty).toBe(true);
  });

  it('selecting steps and measuring them never makes the document dirty', () => {
    const store = createDocumentStore({ doc: exampleDocument(), path: '/p/example.fluxo', blocks });
    const doc = store.getState().doc;
    store.getState().select({ steps: ['train'] });
    store.getState().setMeasured('train', { width: 220, height: 120 });
    expect(store.getState().dirty).toBe(false);
    expect(store.getState().doc).toBe(doc);
  });

  it('renaming the pipeline marks it dirty; saving marks it clean unless edited meanwhile', () => {
    const store = emptyStore();
    store.getState().renamePipeline('Tumour study');
    expect(store.getState().dirty).toBe(true);
    const basedOn = store.getState().doc;
    const saved = documentForSaving(basedOn, new Date('2026-02-01T00:00:00Z'));
    store.getState().markSaved('/p/tumour.fluxo', saved, basedOn);
    expect(store.getState()).toMatchObject({ dirty: false, path: '/p/tumour.fluxo' });
    expect(store.getState().doc.metadata.updated).toBe('2026-02-01T00:00:00.000Z');

    const before = store.getState().doc;
    store.getState().addStep('report');
    store.getState().markSaved('/p/tumour.fluxo', documentForSaving(before, new Date()), before);
    expect(store.getState().dirty).toBe(true);
    expect(store.getState().doc.steps).toHaveLength(1);
  });

  it('a blank pipeline name is saved as "Untitled pipeline"', () => {
    const doc = createEmptyDocument('x', new Date());
    expect(documentForSaving({ ...doc, metadata: { ...doc.metadata, name: '   ' } }, new Date()).metadata.name).toBe('Untitled pipeline');
  });

  it('a run status event never marks the document dirty', () => {
    const store = createDocumentStore({ doc: exampleDocument(), path: '/p/example.fluxo', blocks });
    const doc = store.getState().doc;
    const session = createSessionStore();
    const run = {
      id: 'r1', pipelineName: 'x', pipelinePath: null, targetId: 'local', status: 'running' as const, runDir: '/runs/r1',
      createdAt: '2026-01-01T00:00:00Z', endedAt: null, python: null, error: null,
      steps: [{ id: 'train', label: 'Train classifier', blockId: 'train-classifier', state: 'waiting' as const, exitCode: null, startedAt: null, endedAt: null, seconds: null, log: 'logs/train.log', outputs: [], tasks: null, marker: null, detail: null }],
    };
    session.getState().setRun(run, store.getState().key);
    session.getState().applyEvents([
      { type: 'run.stepChanged', runId: 'r1', step: { ...run.steps[0]!, state: 'running' } },
      { type: 'run.logAppended', runId: 'r1', stepId: 'train', text: 'fitting\n' },
      { type: 'run.finished', run: { ...run, status: 'completed', steps: [{ ...run.steps[0]!, state: 'completed' }] } },
    ]);
    expect(session.getState().run?.status).toBe('completed');
    expect(store.getState().dirty).toBe(false);
    expect(store.getState().doc).toBe(doc);
  });
});

describe('free spots', () => {
  const step = (id: string, x: number, y: number) => ({ id, type: 't', version: 1, label: '', params: {}, position: { x, y } });

  it('fills a three-column grid, skipping occupied places', () => {
    expect(findFreeSpot([], {})).toEqual({ x: 0, y: 0 });
    expect(findFreeSpot([step('a', 0, 0)], {})).toEqual({ x: 260, y: 0 });
    expect(findFreeSpot([step('a', 0, 0), step('b', 260, 0), step('c', 520, 0)], {})).toEqual({ x: 0, y: 200 });
    expect(findFreeSpot([step('a', 100, 50)], {})).toEqual({ x: 520, y: 0 });
  });

  it('puts a step right of the one it follows, or below that place when taken', () => {
    expect(findFreeSpot([step('a', 40, 30)], { a: { width: 300, height: 100 } }, 'a')).toEqual({ x: 390, y: 30 });
    expect(findFreeSpot([step('a', 0, 0), step('b', 260, 0)], {}, 'a')).toEqual({ x: 260, y: 200 });
  });
});

describe('undo and redo', () => {
  /** A store with a clock the test moves, so typing bursts are exact. */
  function timedStore() {
    let clock = 1_000_000;
    const store = createDocumentStore({ doc: createEmptyDocument('Test', new Date('2026-01-01T00:00:00Z')), path: null, blocks, now: () => clock });
    for (const id of ['clinical-dataset', 'split-train-test', 'train-classifier']) {
      store.getState().addStep(id);
      clock += 1000;
    }
    const tick = (ms: number) => {
      clock += ms;
    };
    const entries = () => history(store).getState().pastStates.length;
    return { store, tick, entries };
  }
  const pos = (store: ReturnType<typeof emptyStore>, id: string) => store.getState().doc.steps.find((s) => s.id === id)!.position;

  it('dragging three nodes makes one undo entry', () => {
    const { store, entries } = timedStore();
    const before = entries();
    const s = store.getState();
    s.beginGesture();
    for (let frame = 1; frame <= 30; frame++) s.moveMany({ steps: { dataset: { x: frame, y: frame }, split: { x: 260 + frame, y: frame }, train: { x: 520 + frame, y: frame } } });
    s.endGesture();
    expect(entries()).toBe(before + 1);
    expect(pos(store, 'train')).toEqual({ x: 550, y: 30 });
    store.getState().undo();
    expect(['dataset', 'split', 'train'].map((id) => pos(store, id))).toEqual([0, 260, 520].map((x) => ({ x, y: 0 })));
  });

  it('a gesture that moves nothing adds no entry', () => {
    const { store, entries } = timedStore();
    const before = entries();
    store.getState().beginGesture();
    store.getState().endGesture();
    expect(entries()).toBe(before);
  });

  it('typing a burst in a param is one entry, a pause starts another', () => {
    const { store, tick, entries } = timedStore();
    const before = entries();
    for (const v of [1, 12, 123]) {
      store.getState().setParam('split', 'seed', v);
      tick(200);
    }
    expect(entries()).toBe(before + 1);
    tick(1000);
    store.getState().setParam('split', 'seed', 5);
    expect(entries()).toBe(before + 2);
    store.getState().undo();
    expect(store.getState().doc.steps[1]!.params.seed).toBe(123);
    store.getState().undo();
    expect(store.getState().doc.steps[1]!.params.seed).toBe(42);
  });

  it('typing in two different fields makes two entries even when quick', () => {
    const { store, entries } = timedStore();
    const before = entries();
    store.getState().setLabel('split', 'Sp');
    store.getState().setLabel('split', 'Split it');
    store.getState().renamePipeline('T');
    store.getState().renamePipeline('Tumours');
    expect(entries()).toBe(before + 2);
  });

  it('selecting, measuring, fitting and run status never add an entry', () => {
    const { store, entries } = timedStore();
    const before = entries();
    const s = store.getState();
    s.select({ steps: ['split'] });
    s.selectAll();
    s.setMeasured('split', { width: 300, height: 200 });
    s.requestFit();
    const session = createSessionStore();
    session.getState().beginStart(store.getState().key);
    expect(entries()).toBe(before);
  });

  it('each connection is one entry, and undo removes it', () => {
    const { store, entries } = timedStore();
    const before = entries();
    store.getState().connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
    expect(entries()).toBe(before + 1);
    store.getState().undo();
    expect(store.getState().doc.connections).toEqual([]);
    store.getState().redo();
    expect(store.getState().doc.connections).toHaveLength(1);
  });

  it('undo after save makes it dirty, redo back to saved makes it clean', () => {
    const { store } = timedStore();
    store.getState().setParam('split', 'seed', 7);
    const basedOn = store.getState().doc;
    store.getState().markSaved('/p/a.fluxo', documentForSaving(basedOn, new Date()), basedOn);
    expect(store.getState().dirty).toBe(false);
    store.getState().undo();
    expect(store.getState().dirty).toBe(true);
    store.getState().redo();
    expect(store.getState().dirty).toBe(false);
    expect(store.getState().doc.steps[1]!.params.seed).toBe(7);
  });

  it('undo back to the opened document makes it clean again, and problems follow', () => {
    const store = createDocumentStore({ doc: exampleDocument(), path: '/p/x.fluxo', blocks });
    const problems = store.getState().problems.length;
    store.getState().removeSteps([store.getState().doc.steps[1]!.id]);
    expect(store.getState().dirty).toBe(true);
    expect(store.getState().problems.length).toBeGreaterThan(problems);
    store.getState().undo();
    expect(store.getState()).toMatchObject({ dirty: false });
    expect(store.getState().problems.length).toBe(problems);
  });

  it('deleting steps, their connections and a note is one entry', () => {
    const { store, entries } = timedStore();
    store.getState().connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
    const note = store.getState().addNote({ x: 0, y: 400 }, 'Hello')!;
    const before = entries();
    store.getState().removeElements({ steps: ['split'], notes: [note] });
    expect(entries()).toBe(before + 1);
    expect(store.getState().doc.connections).toEqual([]);
    store.getState().undo();
    expect(store.getState().doc.notes.map((n) => n.text)).toEqual(['Hello']);
    expect(store.getState().doc.connections).toHaveLength(1);
  });

  it('a note is document content: added, edited in a burst, resized, recoloured, each undoable', () => {
    const { store, entries } = timedStore();
    const before = entries();
    const id = store.getState().addNote({ x: 10, y: 20 })!;
    for (const text of ['R', 'Re', 'Read me']) store.getState().updateNote(id, { text });
    store.getState().updateNote(id, { size: { width: 300, height: 160 } });
    store.getState().updateNote(id, { color: 'blue' });
    expect(entries()).toBe(before + 4);
    expect(store.getState().doc.notes[0]).toEqual({ id, text: 'Read me', position: { x: 10, y: 20 }, size: { width: 300, height: 160 }, color: 'blue' });
    store.getState().undo();
    store.getState().undo();
    expect(store.getState().doc.notes[0]!.text).toBe('Read me');
    store.getState().undo();
    expect(store.getState().doc.notes[0]!.text).toBe('');
  });

  it('notes are read-only when the pipeline is locked', () => {
    const { store } = timedStore();
    const id = store.getState().addNote({ x: 0, y: 0 }, 'Instructions')!;
    store.getState().setLock({ editable: [], message: '' });
    store.getState().updateNote(id, { text: 'changed' });
    store.getState().removeElements({ notes: [id] });
    expect(store.getState().addNote()).toBeNull();
    expect(store.getState().doc.notes[0]!.text).toBe('Instructions');
  });

  it('in a locked pipeline a marked param edit is undoable and undo never unlocks it', () => {
    const { store } = timedStore();
    store.getState().setLock({ editable: ['split.seed'], message: '' });
    history(store).getState().clear(); // as when a student opens the instructor's file
    store.getState().setParam('split', 'seed', 3);
    store.getState().undo();
    store.getState().undo();
    expect(store.getState().doc.lock).toBeDefined();
    expect(store.getState().doc.steps[1]!.params.seed).toBe(42);
  });

  it('pasting copied steps gives fresh ids, keeps params and their connections, and is one entry', () => {
    const { store, entries } = timedStore();
    store.getState().connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
    store.getState().setParam('split', 'seed', 9);
    store.getState().setResources('split', { cpus: 4 });
    const doc = store.getState().doc;
    const fragment = { steps: doc.steps.filter((s) => s.id !== 'train'), connections: doc.connections, notes: [] };
    const before = entries();
    const pasted = store.getState().paste(fragment, { x: 40, y: 40 })!;
    expect(entries()).toBe(before + 1);
    expect(pasted.steps).toEqual(['dataset-2', 'split-2']);
    const split2 = store.getState().doc.steps.find((s) => s.id === 'split-2')!;
    expect(split2).toMatchObject({ params: { seed: 9 }, resources: { cpus: 4 }, position: { x: 300, y: 40 } });
    expect(store.getState().doc.connections.map(connectionId)).toContain('dataset-2:table->split-2:table');
    expect(store.getState().selection.steps).toEqual(['dataset-2', 'split-2']);
  });

  it('a past run neither undoes nor redoes', () => {
    const store = createDocumentStore({ doc: exampleDocument(), path: null, blocks, readOnly: true });
    store.getState().undo();
    expect(history(store).getState().pastStates).toHaveLength(0);
  });
});

describe('measured sizes', () => {
  it('measuring many steps at once is one update and never an edit', () => {
    const store = builtStore();
    let updates = 0;
    const stop = store.subscribe(() => updates++);
    store.getState().setMeasuredMany({ dataset: { width: 200, height: 100 }, split: { width: 200, height: 120 } });
    store.getState().setMeasuredMany({ dataset: { width: 200, height: 100 } });
    stop();
    expect(updates).toBe(1);
    expect(store.getState().measured.split).toEqual({ width: 200, height: 120 });
    expect(history(store).getState().futureStates).toHaveLength(0);
  });
});
