import { describe, expect, it } from 'vitest';
import type { FluxoEvent } from '../../shared/api';
import { EventHub } from './events';

describe('EventHub', () => {
  it('delivers a burst of log lines as one message per tick, merged per step', async () => {
    const hub = new EventHub();
    const batches: FluxoEvent[][] = [];
    hub.subscribe((b) => batches.push(b));
    for (let i = 0; i < 1000; i++) hub.emit({ type: 'run.logAppended', runId: 'r', stepId: i < 500 ? 'a' : 'b', text: `line ${i}\n` });
    await new Promise((r) => setImmediate(r));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(2);
    const first = batches[0]![0]!;
    expect(first.type === 'run.logAppended' && first.text.split('\n').length).toBe(501);
  });

  it('keeps delivering to other listeners when one throws, and stops after unsubscribe', async () => {
    const hub = new EventHub();
    const got: number[] = [];
    hub.subscribe(() => {
      throw new Error('closed window');
    });
    const off = hub.subscribe((b) => got.push(b.length));
    hub.emit({ type: 'run.logAppended', runId: 'r', stepId: 'a', text: 'x' });
    await new Promise((r) => setImmediate(r));
    off();
    hub.emit({ type: 'run.logAppended', runId: 'r', stepId: 'a', text: 'y' });
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([1]);
  });
});
