import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmptyDocument } from '../../../shared/document';
import type { PipelineDocument } from '../../../shared/document';
import { useAppStore } from '../../state/appStore';
import { block, renderInspector } from './testSetup';
import { formatDuration, parseDuration } from './ResourcesSection';
import { stepScript } from './stepScript';
import { LAB } from './testSetup';

const train = block({
  id: 'train',
  title: 'Train',
  description: 'Trains a model.',
  help: 'Fits the **model** on the table.',
  inputs: [{ id: 'table', title: 'Table', format: 'table.csv', description: 'Rows to learn from.' }],
  outputs: [{ id: 'model', title: 'Model', format: 'model.sklearn', path: 'model.pkl', description: 'The fitted model.' }],
  params: [
    { id: 'trees', type: 'integer', title: 'Trees', min: 10, max: 1000, default: 100 },
    { id: 'method', type: 'choice', title: 'Method', default: 'forest', choices: [{ value: 'forest', title: 'Forest' }, { value: 'linear', title: 'Linear' }] },
    { id: 'depth', type: 'integer', title: 'Depth', default: 5, show: { method: ['forest'] } },
  ],
  resources: { cpus: 2, memoryMb: 4096, timeMinutes: 60, gpus: 0 },
  software: { python: { minVersion: '3.9', modules: [] }, environments: [{ kind: 'system', tools: [] }], launcher: 'plain' },
  command: ['{{python}}', '{{block}}/train.py', '--trees', '{{params.trees}}', '{{outputs.model}}'],
});
const source = block({
  id: 'source',
  title: 'Source',
  category: 'data',
  outputs: [{ id: 'table', title: 'Table', format: 'table.csv', path: 'table.csv' }],
  command: ['{{python}}', '{{block}}/make.py', '{{outputs.table}}'],
});

function pipeline(extra: Partial<PipelineDocument> = {}): PipelineDocument {
  const doc = createEmptyDocument('Demo', new Date('2026-01-01T00:00:00Z'));
  return {
    ...doc,
    steps: [
      { id: 'train', type: 'train', version: 1, label: 'Train', params: { trees: 100, method: 'forest' }, position: { x: 300, y: 0 } },
      { id: 'source', type: 'source', version: 1, label: 'Source', params: {}, position: { x: 0, y: 0 } },
    ],
    connections: [{ from: { step: 'source', port: 'table' }, to: { step: 'train', port: 'table' } }],
    ...extra,
  };
}

const resources = (store: ReturnType<typeof renderInspector>['store']) => store.getState().doc.steps[0]!.resources;

describe('show/hide conditions', () => {
  afterEach(cleanup);
  it('a param shows only while the param it depends on has one of the listed values', () => {
    renderInspector([train, source], { doc: pipeline() });
    expect(screen.getByLabelText('Depth')).toBeTruthy();
    fireEvent.click(screen.getByRole('radio', { name: 'Linear' }));
    expect(screen.queryByLabelText('Depth')).toBeNull();
    fireEvent.click(screen.getByRole('radio', { name: 'Forest' }));
    expect(screen.getByLabelText('Depth')).toBeTruthy();
  });
});

describe('resources', () => {
  afterEach(cleanup);

  it('shows the block defaults as placeholders and writes overrides through setResources', () => {
    const { store } = renderInspector([train, source], { doc: pipeline() });
    const cpus = screen.getByLabelText('CPUs') as HTMLInputElement;
    expect(cpus.placeholder).toBe('2');
    expect((screen.getByLabelText('Memory') as HTMLInputElement).placeholder).toBe('4');
    expect((screen.getByLabelText('Time limit') as HTMLInputElement).placeholder).toBe('1:00');
    fireEvent.change(cpus, { target: { value: '4' } });
    fireEvent.change(screen.getByLabelText('Memory'), { target: { value: '1.5' } });
    fireEvent.change(screen.getByLabelText('Time limit'), { target: { value: '2:30' } });
    expect(resources(store)).toEqual({ cpus: 4, memoryMb: 1536, timeMinutes: 150 });
    fireEvent.change(screen.getByLabelText('Memory unit'), { target: { value: 'MB' } });
    expect((screen.getByLabelText('Memory') as HTMLInputElement).value).toBe('1536');
    fireEvent.change(cpus, { target: { value: '' } });
    expect(resources(store)).toEqual({ memoryMb: 1536, timeMinutes: 150 });
  });

  it('a time typed as "1:3" is kept as typed; nonsense is explained and not written', () => {
    const { store } = renderInspector([train, source], { doc: pipeline() });
    const time = screen.getByLabelText('Time limit') as HTMLInputElement;
    fireEvent.change(time, { target: { value: '1:3' } });
    expect(time.value).toBe('1:3');
    expect(resources(store)?.timeMinutes).toBe(63);
    fireEvent.change(time, { target: { value: 'soon' } });
    expect(time.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Type the time as hours:minutes, like 1:30')).toBeTruthy();
    expect(resources(store)?.timeMinutes).toBe(63);
  });

  it('on "This computer" it shows the machine cores and warns when the step asks for more', () => {
    renderInspector([train, source], { doc: pipeline() });
    expect(screen.getByText('This computer has 4 CPU cores.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('CPUs'), { target: { value: '16' } });
    expect(screen.getByText('This computer has only 4 cores; the step will share them and run slower.')).toBeTruthy();
  });

  it("on a cluster it shows the partition's limits and warns in the compiler's words when a value exceeds them", () => {
    const { store } = renderInspector([train, source], { doc: pipeline(), targetId: 'lab' });
    expect(screen.getByText('Partition cpu (CPU) allows per node: 8 CPUs, 15.63 GB of memory and 0 GPUs, for at most 24 h.')).toBeTruthy();
    const cpus = screen.getByLabelText('CPUs');
    fireEvent.change(cpus, { target: { value: '64' } });
    const warning = 'Train: partition cpu allows at most 8 CPUs per node; this step asks for 64';
    expect(screen.getByText(warning)).toBeTruthy();
    const described = cpus.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(described.some((t) => t?.includes(warning))).toBe(true);
    fireEvent.change(screen.getByLabelText('Time limit'), { target: { value: '30' } });
    expect(screen.getByText(/partition cpu allows at most 1 d \(1440 minutes\); this step asks for 1 d 6 h \(1800 minutes\)/)).toBeTruthy();
    fireEvent.change(cpus, { target: { value: '8' } });
    expect(screen.queryByText(warning)).toBeNull();
    // The partition is a select of the target's partitions; choosing gpu shows its limits.
    const partition = screen.getByLabelText('Partition') as HTMLSelectElement;
    expect([...partition.options].map((o) => o.textContent)).toEqual(['Default (cpu)', 'cpu — CPU', 'gpu — GPU']);
    fireEvent.change(partition, { target: { value: 'gpu' } });
    expect(resources(store)?.partition).toBe('gpu');
    expect(screen.getByText(/Partition gpu \(GPU\) allows per node: 8 CPUs, 15.63 GB of memory and 2 GPUs, for at most 24 h\./)).toBeTruthy();
  });

  it('parses and prints durations as hours:minutes', () => {
    expect(parseDuration('1:30')).toBe(90);
    expect(parseDuration('2')).toBe(120);
    expect(parseDuration('0.5')).toBe(30);
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('1:75')).toBeNull();
    expect(formatDuration(1441)).toBe('24:01');
  });
});

describe('software environment', () => {
  afterEach(cleanup);
  it('names what the chosen target provides, and what is missing when it provides nothing', () => {
    renderInspector([train, source], { doc: pipeline(), targetId: 'lab' });
    expect(screen.getByText("On Test cluster (loopback) this step uses the cluster's installed tools (python3).")).toBeTruthy();
    cleanup();
    const gpuOnly = block({ id: 'gpu-only', title: 'GPU only', software: { environments: [{ kind: 'container', image: 'docker://x/y:1' }], launcher: 'plain' } });
    renderInspector([gpuOnly], { targetId: 'lab' });
    expect(screen.getByText('Test cluster (loopback) cannot provide this block\'s software:')).toBeTruthy();
    expect(screen.getByText('the container docker://x/y:1: Test cluster (loopback) has no container runtime (containers)')).toBeTruthy();
  });
});

describe('show script', () => {
  afterEach(cleanup);

  it('shows the batch script of the step for the chosen target and follows a param change', async () => {
    renderInspector([train, source], { doc: pipeline(), targetId: 'lab' });
    fireEvent.click(screen.getByRole('button', { name: 'Show script' }));
    const viewer = await screen.findByRole('region', { name: 'Batch script of this step for Test cluster (loopback)' });
    expect(viewer.textContent).toContain('#SBATCH');
    expect(viewer.textContent).toMatch(/--trees '100'/);
    fireEvent.change(screen.getByLabelText('Trees'), { target: { value: '250' } });
    await waitFor(() => expect(screen.getByRole('region', { name: 'Batch script of this step for Test cluster (loopback)' }).textContent).toMatch(/--trees '250'/));
    fireEvent.change(screen.getByLabelText('CPUs'), { target: { value: '6' } });
    await waitFor(() => expect(screen.getByRole('region', { name: 'Batch script of this step for Test cluster (loopback)' }).textContent).toContain('#SBATCH --cpus-per-task=6'));
  });

  it('says in words why there is no script when the compiler refuses', async () => {
    renderInspector([train, source], { doc: pipeline(), targetId: 'lab' });
    fireEvent.change(screen.getByLabelText('CPUs'), { target: { value: '64' } });
    fireEvent.click(screen.getByRole('button', { name: 'Show script' }));
    expect(await screen.findByText('Fluxo cannot make this step\'s script for Test cluster (loopback) yet:')).toBeTruthy();
    const refusal = screen.getByText("Fluxo cannot make this step's script for Test cluster (loopback) yet:").parentElement!;
    expect(within(refusal).getByText(/Train: partition cpu allows at most 8 CPUs per node; this step asks for 64/)).toBeTruthy();
  });

  it('compiles only the step and what it reads from, so a broken branch elsewhere does not hide it', () => {
    const doc = pipeline();
    doc.steps.push({ id: 'train-2', type: 'train', version: 1, label: 'Unfinished', params: {}, position: { x: 0, y: 300 } });
    const r = stepScript(doc, 'train', [train, source], LAB);
    expect(r.ok).toBe(true);
  });
});

describe('help, lock and past runs', () => {
  afterEach(cleanup);

  it("lists the block's help with its inputs and outputs", () => {
    renderInspector([train, source], { doc: pipeline() });
    const help = screen.getByText('About Train').closest('details')!;
    expect(within(help).getByText('model')).toBeTruthy();
    expect(help.textContent).toContain('Table table.csv — Rows to learn from.');
    expect(help.textContent).toContain('Model model.sklearn — The fitted model.');
  });

  it('in a locked pipeline only the marked params change; the rest, the label and resources are disabled and say why', () => {
    const { store } = renderInspector([train, source], { doc: pipeline({ lock: { editable: ['train.trees'], message: '' } }) });
    const trees = screen.getByLabelText('Trees') as HTMLInputElement;
    expect(trees.disabled).toBe(false);
    fireEvent.change(trees, { target: { value: '300' } });
    expect(store.getState().doc.steps[0]!.params.trees).toBe(300);
    const depth = screen.getByLabelText('Depth') as HTMLInputElement;
    expect(depth.disabled).toBe(true);
    const describedBy = depth.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(describedBy.some((t) => t?.endsWith('Locked by your instructor'))).toBe(true);
    expect((screen.getByRole('radio', { name: 'Linear' }) as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByLabelText('Label') as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByLabelText('CPUs') as HTMLInputElement).disabled).toBe(true);
  });

  it('a past run is read-only everywhere', () => {
    renderInspector([train, source], { doc: pipeline(), readOnly: true, targetId: 'lab' });
    const fields = document.querySelectorAll('[data-step="train"] [data-field]');
    expect(fields.length).toBeGreaterThan(5);
    for (const f of fields) expect((f as HTMLInputElement).disabled, f.getAttribute('data-field')!).toBe(true);
    expect(screen.getByText('This is a past run, shown as it ran; nothing can be changed.')).toBeTruthy();
  });

  it('switching the target in the toolbar updates the limits shown', () => {
    renderInspector([train, source], { doc: pipeline() });
    expect(screen.queryByLabelText('Partition')).toBeNull();
    act(() => useAppStore.getState().setTarget('lab'));
    expect(screen.getByLabelText('Partition')).toBeTruthy();
  });
});
