import { ReactFlowProvider } from '@xyflow/react';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FailureExplanation, PreflightReport, RunRecord, StepRecord, TargetProfile } from '../../shared/api';
import { setApi } from '../api/client';
import { Modal } from '../components/Modal';
import { BottomPanel } from '../editor/BottomPanel';
import { useAppStore } from '../state/appStore';
import type { DocumentStore } from '../state/documentStore';
import { createDocumentStore } from '../state/documentStore';
import { DocumentStoreContext } from '../state/hooks';
import { sessionStore } from '../state/sessionStore';
import { fakeApi } from '../testing/fakeApi';
import { exampleDocument, fixtureBlocks } from '../testing/fixtures';
import { openPreflight } from '../actions/run';
import { compareMetrics, pipelineChanges, runsOfPipeline } from './history';

const blocks = fixtureBlocks();
const host = { kind: 'browser' as const, nativeDialogs: false, version: '0.1.0', platform: 'linux', cores: 4, pipelinesFolder: '/p' };
const local = { id: 'local', title: 'This computer', description: '', kind: 'local' } as unknown as TargetProfile;
const lab = { id: 'lab', title: 'Test cluster', description: '', kind: 'slurm' } as unknown as TargetProfile;

function step(id: string, over: Partial<StepRecord> = {}): StepRecord {
  return { id, label: id[0]!.toUpperCase() + id.slice(1), blockId: 'b', state: 'waiting', exitCode: null, startedAt: null, endedAt: null, seconds: null, log: `logs/${id}.log`, outputs: [], tasks: null, marker: null, detail: null, ...over };
}

function runRecord(over: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'r1', pipelineName: 'Breast cancer classifier', pipelinePath: '/p/bc.fluxo', targetId: 'lab', status: 'running', runDir: '/runs/r1',
    createdAt: '2026-01-01T10:00:00Z', endedAt: null, python: null, error: null,
    steps: [step('dataset'), step('train'), step('evaluate')],
    ...over,
  };
}

// As electron/targets/slurm/explain.ts words an out-of-memory kill.
const oom: FailureExplanation = {
  kind: 'out-of-memory',
  title: 'Step Train ran out of memory',
  message: 'It used all of the 4 GB it asked for and Slurm stopped it. Ask for more memory and run it again.',
  evidence: ['Slurm state OUT_OF_MEMORY, exit code 0:125', 'slurmstepd: error: Detected 1 oom_kill event'],
  action: { kind: 'retry-with-resources', label: 'Retry with 2x memory', resources: { memoryMb: 8192 } },
};

let store: DocumentStore;

function mount() {
  return render(
    <DocumentStoreContext.Provider value={store}>
      <ReactFlowProvider>
        <BottomPanel />
        <Modal />
      </ReactFlowProvider>
    </DocumentStoreContext.Provider>,
  );
}

beforeEach(() => {
  useAppStore.setState({ modal: null, toasts: [], editor: null, screen: 'start', panelTab: 'log', runOptions: {} });
  useAppStore.getState().setLoaded({ host, catalog: { blocks, problems: [] }, targets: [local, lab], examples: [] });
  sessionStore.getState().clear();
  store = createDocumentStore({ doc: exampleDocument(), path: '/p/bc.fluxo', blocks });
  useAppStore.getState().openEditor(store);
});
afterEach(() => {
  cleanup();
  setApi(null);
});

describe('the run panel', () => {
  it('says in words why a step waits in the queue, with its job id, and shows upload progress', () => {
    mount();
    act(() => sessionStore.getState().setRun(runRecord(), store.getState().key));
    act(() =>
      sessionStore.getState().applyEvents([
        { type: 'run.stepChanged', runId: 'r1', step: step('dataset', { job: { id: '5101', submittedAt: '2026-01-01T10:00:05Z' }, scheduler: { state: 'PENDING', reason: 'Priority', reasonText: 'other jobs are ahead in the queue', exitCode: null, seenAt: '2026-01-01T10:00:09Z' } }) },
        { type: 'run.transfer', runId: 'r1', transfer: { direction: 'upload', file: '/data/cohort.csv', files: { done: 1, total: 4, skipped: 1 }, bytes: { done: 2_500_000, total: 10_000_000 }, rate: 1_250_000, secondsLeft: 6 } },
      ]),
    );
    const row = screen.getByTestId('run-step-dataset');
    expect(row.textContent).toContain('5101');
    expect(row.textContent).toContain('In the queue: other jobs are ahead in the queue');
    const upload = screen.getByTestId('transfer-upload');
    expect(upload.textContent).toContain('1 of 4 files');
    expect(upload.textContent).toContain('2.5 MB of 10 MB');
    expect(upload.textContent).toContain('about 6 s left');
    expect(within(upload).getByRole('progressbar').getAttribute('value')).toBe('25');
  });

  it('says the cluster is not answering while it still watches, and stops saying it when it answers', () => {
    mount();
    act(() => sessionStore.getState().setRun(runRecord(), store.getState().key));
    const remote = { host: 'ft3.cesga.es', port: 22, user: 'ana', workDir: '/w', account: null, qos: null, reservation: null, phase: 'watching' as const, bytesUploaded: 0, bytesDownloaded: 0, stepsExecuted: 0, stepsCached: 0, lastContactAt: null, unreachable: 'no answer since 10:02' };
    act(() => sessionStore.getState().applyEvents([{ type: 'run.remoteChanged', runId: 'r1', remote }]));
    expect(screen.getByTestId('cluster-unreachable').textContent).toContain('The cluster is not answering; still watching. no answer since 10:02');
    act(() => sessionStore.getState().applyEvents([{ type: 'run.remoteChanged', runId: 'r1', remote: { ...remote, unreachable: null } }]));
    expect(screen.queryByTestId('cluster-unreachable')).toBeNull();
  });

  it('array tasks expand under their step with their own states', () => {
    mount();
    const task = (index: number, state: StepRecord['state']) => ({ index, params: { c: index }, state, exitCode: null, startedAt: null, endedAt: null, seconds: null, log: `logs/train_${index}.log`, marker: null, detail: null });
    act(() => sessionStore.getState().setRun(runRecord({ steps: [step('train', { tasks: [task(0, 'completed'), task(1, 'running')] })] }), store.getState().key));
    fireEvent.click(screen.getByRole('button', { name: 'Train (2 tasks)' }));
    expect(screen.getByTestId('run-task-train-1').textContent).toContain('Running');
    expect(screen.getByTestId('run-task-train-0').textContent).toContain('c=0');
  });

  it('"Retry with 2x memory" puts the memory into the step as an edit and reruns from that step', async () => {
    const fake = fakeApi({ runs: { start: async () => ({ ok: true, value: runRecord({ id: 'r2', rerunOf: 'r1' }) }) } });
    setApi(fake.api);
    mount();
    const failed = runRecord({ status: 'failed', endedAt: '2026-01-01T10:05:00Z', steps: [step('dataset', { state: 'completed' }), step('train', { state: 'failed', explanation: oom }), step('evaluate', { state: 'skipped' })] });
    act(() => sessionStore.getState().setRun(failed, store.getState().key));
    const card = screen.getByTestId('failure-train');
    expect(card.textContent).toContain('Step Train ran out of memory');
    fireEvent.click(within(card).getByText('How we know'));
    expect(within(card).getByText(/oom_kill event/)).toBeTruthy();

    fireEvent.click(within(card).getByRole('button', { name: 'Retry with 2x memory' }));
    await waitFor(() => expect(fake.calls.some((c) => c.channel === 'runs.start')).toBe(true));
    expect(store.getState().doc.steps.find((s) => s.id === 'train')?.resources?.memoryMb).toBe(8192);
    const request = fake.calls.find((c) => c.channel === 'runs.start')!.args[0] as { rerun: unknown; targetId: string; document: { steps: Array<{ id: string; resources?: { memoryMb?: number } }> } };
    expect(request.rerun).toEqual({ runId: 'r1', from: { step: 'train' } });
    expect(request.targetId).toBe('lab');
    expect(request.document.steps.find((s) => s.id === 'train')?.resources?.memoryMb).toBe(8192);
    await waitFor(() => expect(sessionStore.getState().run?.id).toBe('r2'));
    // The fix is an ordinary edit of the open pipeline: it is now unsaved, and the step is selected to show it.
    expect(store.getState().dirty).toBe(true);
    expect(store.getState().selection.steps).toEqual(['train']);
  });

  it('a local failure without an explanation still says which step failed, shows its last log lines and offers to rerun from it', async () => {
    const fake = fakeApi({ runs: { start: async () => ({ ok: true, value: runRecord({ id: 'r3', targetId: 'local' }) }) } });
    setApi(fake.api);
    mount();
    act(() => sessionStore.getState().setRun(runRecord({ targetId: 'local' }), store.getState().key));
    act(() =>
      sessionStore.getState().applyEvents([
        { type: 'run.logAppended', runId: 'r1', stepId: 'dataset', text: 'reading cohort\nFileNotFoundError: /data/x.csv\n' },
        { type: 'run.finished', run: runRecord({ targetId: 'local', status: 'failed', steps: [step('dataset', { state: 'failed', exitCode: 1 }), step('train', { state: 'skipped' }), step('evaluate', { state: 'skipped' })] }) },
      ]),
    );
    const card = screen.getByTestId('failure-dataset');
    expect(card.textContent).toContain('Step “Dataset” failed');
    expect(card.textContent).toContain('It printed: “FileNotFoundError: /data/x.csv”');
    expect(card.querySelector('.failure-evidence')?.textContent).toContain('reading cohort');
    fireEvent.click(within(card).getByRole('button', { name: 'Rerun from here' }));
    await waitFor(() => expect(fake.calls.find((c) => c.channel === 'runs.start')?.args[0]).toMatchObject({ targetId: 'local', rerun: { runId: 'r1', from: { step: 'dataset' } } }));
  });

  it('Cancel asks first, and only "Cancel the run" cancels', async () => {
    const fake = fakeApi({ runs: { cancel: async () => ({ ok: true, value: runRecord({ status: 'cancelled' }) }) } });
    setApi(fake.api);
    mount();
    act(() => sessionStore.getState().setRun(runRecord(), store.getState().key));
    const { cancelRun } = await import('../actions/run');
    let pending = cancelRun();
    fireEvent.click(await screen.findByRole('button', { name: 'Keep running' }));
    await act(() => pending);
    expect(fake.calls.some((c) => c.channel === 'runs.cancel')).toBe(false);
    pending = cancelRun();
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel the run' }));
    await act(() => pending);
    expect(fake.calls.some((c) => c.channel === 'runs.cancel')).toBe(true);
    expect(sessionStore.getState().run?.status).toBe('cancelled');
  });
});

function report(over: Partial<PreflightReport> = {}): PreflightReport {
  const s = (id: string, label: string, extra: Partial<PreflightReport['steps'][number]> = {}) => ({
    id, label, blockId: 'b', cpus: 2, memoryMb: 4000, timeMinutes: 60, gpus: 0, partition: 'cpu', tasks: 1,
    limits: { cpus: 8, memoryMb: 16384, timeMinutes: 1440, gpus: 0 }, over: [] as Array<'cpus' | 'memoryMb' | 'timeMinutes' | 'gpus'>, coreHours: 2, gpuHours: 0, ...extra,
  });
  return {
    targetId: 'lab', targetKind: 'slurm', targetTitle: 'Test cluster', problems: [], canRun: true,
    steps: [s('dataset', 'Dataset'), s('train', 'Train', { memoryMb: 65536, over: ['memoryMb'], tasks: 3, coreHours: 6 })],
    coreHours: 8, gpuHours: 0, jobs: 2, tasks: 4, localCores: null,
    upload: { files: 2, bytes: 3_400_000, items: [{ local: '/data/cohort', files: 2, bytes: 3_400_000, sentBefore: true }] },
    account: 'bio42', qos: null, reservation: null,
    ...over,
  };
}

describe('pre-flight', () => {
  it('on a cluster shows the upper-bound core-hours, the step over its limit, the upload and the account before anything starts', async () => {
    const fake = fakeApi({ runs: { preflight: async () => ({ ok: true, value: report() }) } });
    setApi(fake.api);
    useAppStore.getState().setTarget('lab');
    useAppStore.getState().setRunOptions('lab', { account: 'bio42' });
    mount();
    await act(() => openPreflight());
    const dialog = screen.getByRole('dialog', { name: 'Before running' });
    expect(fake.calls.find((c) => c.channel === 'runs.preflight')?.args[0]).toMatchObject({ targetId: 'lab', account: 'bio42', qos: null });
    expect(fake.calls.some((c) => c.channel === 'runs.start')).toBe(false);
    expect(within(dialog).getByTestId('preflight-cost').textContent).toContain('At most 8 core-hours');
    expect(within(dialog).getByText(/An upper bound/)).toBeTruthy();
    expect(within(dialog).getByTestId('preflight-step-train').textContent).toContain('(more than the 16 GB allowed)');
    expect(within(dialog).getByTestId('preflight-upload').textContent).toContain('2 files (3.4 MB) go from this computer to the cluster');
    expect(dialog.textContent).toContain('sent by an earlier run');
    expect(dialog.textContent).toContain('bio42');
  });

  it('on this computer stays short: one sentence and Run now, details folded', async () => {
    const fake = fakeApi({ runs: { preflight: async () => ({ ok: true, value: report({ targetId: 'local', targetKind: 'local', targetTitle: 'This computer', localCores: 4, upload: null, account: null }) }) } });
    setApi(fake.api);
    mount();
    await act(() => openPreflight());
    const dialog = screen.getByRole('dialog', { name: 'Before running' });
    expect(dialog.textContent).toContain('2 steps run on this computer, sharing its 4 cores.');
    expect(within(dialog).queryByText('Data to upload')).toBeNull();
    expect(within(dialog).queryByText('Account and queue')).toBeNull();
    expect(within(dialog).getByText('Resources per step').closest('details')?.hasAttribute('open')).toBe(false);
    expect((within(dialog).getByRole('button', { name: 'Run now' })) as HTMLButtonElement).toHaveProperty('disabled', false);
  });

  it('a blocking problem disables Run now, and "Show it" selects the step it is on', async () => {
    const problem = { code: 'partition-limit', severity: 'error' as const, stepId: 'train', field: 'resources.memoryMb', message: 'Train asks for 64 GB; partition cpu allows 16 GB', fix: 'Ask for at most 16 GB.' };
    setApi(fakeApi({ runs: { preflight: async () => ({ ok: true, value: report({ problems: [problem as never], canRun: false }) }) } }).api);
    mount();
    await act(() => openPreflight());
    const dialog = screen.getByRole('dialog', { name: 'Before running' });
    expect(within(dialog).getByText('1 problem stops this run')).toBeTruthy();
    expect((within(dialog).getByRole('button', { name: 'Run now' })) as HTMLButtonElement).toHaveProperty('disabled', true);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Show it' }));
    expect(screen.queryByRole('dialog', { name: 'Before running' })).toBeNull();
    expect(store.getState().selection.steps).toEqual(['train']);
  });

  it('Run now starts the run and closes the dialog; Cancel starts nothing', async () => {
    const fake = fakeApi({ runs: { preflight: async () => ({ ok: true, value: report() }), start: async () => ({ ok: true, value: runRecord() }) } });
    setApi(fake.api);
    mount();
    await act(() => openPreflight());
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(fake.calls.some((c) => c.channel === 'runs.start')).toBe(false);
    await act(() => openPreflight());
    fireEvent.click(screen.getByRole('button', { name: 'Run now' }));
    await waitFor(() => expect(sessionStore.getState().run?.id).toBe('r1'));
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('run history', () => {
  const metricsOutput = (task: number | null = null) => ({ stepId: 'evaluate', port: 'metrics', format: 'metrics.json', path: 'steps/evaluate/metrics.json', task, exists: true, size: 10 });
  const older = runRecord({ id: 'r-old', status: 'completed', createdAt: '2026-01-01T09:00:00Z', endedAt: '2026-01-01T09:02:05Z', steps: [step('evaluate', { state: 'completed', outputs: [metricsOutput()] })] });
  const newer = runRecord({ id: 'r-new', status: 'failed', createdAt: '2026-01-02T09:00:00Z', endedAt: '2026-01-02T09:00:30Z', remote: { host: 'ft3.cesga.es', port: 22, user: 'ana', workDir: '/w', account: null, qos: null, reservation: null, phase: 'ended', bytesUploaded: 0, bytesDownloaded: 0, stepsExecuted: 1, stepsCached: 0, lastContactAt: null, unreachable: null }, steps: [step('evaluate', { state: 'completed', outputs: [metricsOutput()] })] });
  const otherPipeline = runRecord({ id: 'r-other', pipelinePath: '/p/other.fluxo', status: 'completed', createdAt: '2026-01-03T09:00:00Z' });

  it('lists only the runs of this pipeline, newest first, with status, where and duration', async () => {
    setApi(fakeApi({ runs: { list: async () => ({ ok: true, value: [older, otherPipeline, newer] }) } }).api);
    useAppStore.getState().showPanel('history');
    mount();
    const table = await screen.findByTestId('run-history');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-testid'))).toEqual(['history-run-r-new', 'history-run-r-old']);
    expect(rows[0]!.textContent).toContain('Failed');
    expect(rows[0]!.textContent).toContain('ana@ft3.cesga.es');
    expect(rows[1]!.textContent).toContain('2 min 5 s');
  });

  it('an unsaved pipeline matches its runs by name', () => {
    const a = runRecord({ id: 'a', pipelinePath: null, pipelineName: 'Mine' });
    const b = runRecord({ id: 'b', pipelinePath: '/p/mine.fluxo', pipelineName: 'Mine' });
    expect(runsOfPipeline([a, b], null, 'Mine').map((r) => r.id)).toEqual(['a']);
  });

  it('opens a past run read-only with the pipeline that ran, labelled, and goes back to the open pipeline', async () => {
    const ran = exampleDocument();
    ran.metadata.name = 'As it ran';
    const fake = fakeApi({ runs: { list: async () => ({ ok: true, value: [older, newer] }), document: async () => ({ ok: true, value: { run: older, document: ran } }) } });
    setApi(fake.api);
    useAppStore.getState().showPanel('history');
    const mine = store;
    const { PastRunBanner } = await import('./HistoryPanel');
    const view = mount();
    fireEvent.click((await screen.findAllByRole('button', { name: /Open the run of/ }))[1]!);
    await waitFor(() => expect(useAppStore.getState().editor).not.toBe(mine));
    const past = useAppStore.getState().editor!;
    expect(past.getState().readOnly).toBe(true);
    expect(past.getState().doc.metadata.name).toBe('As it ran');
    expect(sessionStore.getState().run?.id).toBe('r-old');
    view.unmount();
    store = past;
    render(
      <DocumentStoreContext.Provider value={past}>
        <PastRunBanner />
      </DocumentStoreContext.Provider>,
    );
    expect(screen.getByTestId('past-run-banner').textContent).toContain('it cannot be changed');
    fireEvent.click(screen.getByRole('button', { name: 'Back to my pipeline' }));
    expect(useAppStore.getState().editor).toBe(mine);
    expect(sessionStore.getState().pastRun).toBeNull();
  });

  it('compares the metrics of two runs side by side and says which is better only where the direction is known', async () => {
    const files: Record<string, unknown> = { 'r-old': { accuracy: 0.9, n_test: 100, custom_score: 3 }, 'r-new': { accuracy: 0.95, n_test: 100, custom_score: 4 } };
    const base64 = (v: unknown) => btoa(JSON.stringify(v));
    setApi(
      fakeApi({
        runs: {
          list: async () => ({ ok: true, value: [older, newer] }),
          readFile: async (id: string, path: string) => ({ ok: true, value: { path, mime: 'application/json', size: 1, base64: base64(files[id]) } }),
        },
      }).api,
    );
    useAppStore.getState().showPanel('history');
    mount();
    await screen.findByTestId('run-history');
    const compare = screen.getByRole('button', { name: 'Compare two runs' });
    expect((compare) as HTMLButtonElement).toHaveProperty('disabled', true);
    for (const box of screen.getAllByRole('checkbox')) fireEvent.click(box);
    fireEvent.click(compare);
    const dialog = await screen.findByRole('dialog', { name: 'Compare two runs' });
    const accuracy = await within(dialog).findByTestId('compare-accuracy');
    expect(accuracy.textContent).toContain('90 %');
    expect(accuracy.textContent).toContain('95 %');
    expect(accuracy.textContent).toContain('Newer run is better');
    expect(within(dialog).getByTestId('compare-n_test').textContent).toContain('Same');
    expect(within(dialog).getByTestId('compare-custom_score').textContent).toContain('Different');
  });

  it('a lower error is better, and a metric only one run has gets a row without a verdict', () => {
    const rows = compareMetrics([{ key: 'e:metrics', label: 'Evaluate' }], { 'e:metrics': { rmse: 2, r2: 0.5 } }, { 'e:metrics': { rmse: 3 } });
    expect(rows.find((r) => r.metric === 'rmse')?.better).toBe('a');
    expect(rows.find((r) => r.metric === 'r2')).toMatchObject({ b: null, better: null, differs: true });
  });

  it('says what changed between the pipelines of two runs, in the words of the settings', () => {
    const a = exampleDocument();
    const b = exampleDocument();
    b.steps.find((s) => s.id === 'train')!.params.model = 'random_forest';
    b.steps.find((s) => s.id === 'train')!.resources = { memoryMb: 8192 };
    b.steps = b.steps.filter((s) => s.id !== 'report');
    const byId = new Map(blocks.map((x) => [x.id, x]));
    expect(pipelineChanges(a, b, byId)).toEqual([
      { step: 'Train classifier', setting: 'Model', from: 'Logistic regression', to: 'Random forest' },
      { step: 'Train classifier', setting: 'resources.memoryMb', from: null, to: '8192' },
      { step: 'Report', setting: null, from: 'Report', to: null },
    ]);
    expect(pipelineChanges(a, exampleDocument(), byId)).toEqual([]);
  });
});
