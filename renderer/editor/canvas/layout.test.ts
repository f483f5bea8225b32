import { describe, expect, it } from 'vitest';
import { createEmptyDocument } from '../../../shared/document';
import { createDocumentStore } from '../../state/documentStore';
import { fixtureBlocks } from '../../testing/fixtures';
import { layoutPositions } from './layout';

describe('auto-layout', () => {
  it('lays a chain out left to right, each step right of the one feeding it', async () => {
    const blocks = fixtureBlocks();
    const store = createDocumentStore({ doc: createEmptyDocument('T', new Date('2026-01-01T00:00:00Z')), path: null, blocks });
    const s = store.getState();
    // Added in reverse and scattered, so the order must come from the connections.
    s.addStep('train-classifier', { x: 0, y: 900 });
    s.addStep('split-train-test', { x: 500, y: 0 });
    s.addStep('clinical-dataset', { x: 900, y: 500 });
    s.connect({ step: 'dataset', port: 'table' }, { step: 'split', port: 'table' });
    s.connect({ step: 'split', port: 'train' }, { step: 'train', port: 'train' });
    const positions = await layoutPositions(store.getState().doc, new Map(blocks.map((b) => [b.id, b])), {});
    expect(positions.dataset!.x).toBeLessThan(positions.split!.x);
    expect(positions.split!.x).toBeLessThan(positions.train!.x);
    expect(positions.split!.x - positions.dataset!.x).toBeGreaterThanOrEqual(210);
  });
});
