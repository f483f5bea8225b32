import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../../shared/api';
import type { BundleManifest, ManifestStep } from '../../shared/compiler';
import { LocalExecution } from './local';

const root = mkdtempSync(path.join(os.tmpdir(), 'fluxo-local-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

/** A bundle of plain bash steps: enough to exercise ordering, parallelism, failure and cancel. */
function bundle(steps: Array<{ id: string; deps?: string[]; script: string; cpus?: number }>) {
  const dir = path.join(root, `run-${++counter}`);
  const bundleDir = path.join(dir, 'bundle');
  mkdirSync(path.join(bundleDir, 'steps'), { recursive: true });
  const manifestSteps: ManifestStep[] = steps.map((s) => {
    const script = `steps/${s.id}.sh`;
    writeFileSync(path.join(bundleDir, script), `set -euo pipefail\nmkdir -p "$FLUXO_RUN/steps/${s.id}" && cd "$FLUXO_RUN/steps/${s.id}"\n${s.script}\n`);
    return {
      id: s.id,
      label: `Step ${s.id}`,
      block: { id: 'shell', version: 1, title: 'Shell' },
      script,
      dependsOn: s.deps ?? [],
      outputs: [{ port: 'out', format: 'text', path: `steps/${s.id}/out.txt` }],
      resources: { cpus: s.cpus ?? 1, memoryMb: 100, timeMinutes: 1, gpus: 0 },
    };
  });
  const manifest: BundleManifest = { format: 'fluxo-bundle', version: 1, pipeline: { name: 't' }, target: 'local', order: steps.map((s) => s.id), steps: manifestSteps, python: null };
  return { dir, bundleDir, manifest };
}

function execution(b: ReturnType<typeof bundle>, slots: number) {
  const changes: StepRecord[] = [];
  const logs: string[] = [];
  const exec = new LocalExecution({
    manifest: b.manifest,
    bundleDir: b.bundleDir,
    runDir: b.dir,
    python: null,
    slots,
    killGraceMs: 2000,
    onStepChanged: (s) => changes.push(s),
    onLog: (id, text) => logs.push(`${id}:${text}`),
  });
  return { exec, changes, logs };
}

/** Waits for a file to appear (bounded), so a step can prove another runs at the same time. */
const waitFor = (file: string) => `for _ in $(seq 100); do [ -e "${file}" ] && break; sleep 0.1; done; [ -e "${file}" ]`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('LocalExecution', () => {
  it('runs independent steps at the same time when there are free cores', async () => {
    // a and b each wait for the other's marker: this only completes if they overlap.
    const b = bundle([
      { id: 'a', script: `touch "$FLUXO_RUN/a-started"; ${waitFor('$FLUXO_RUN/b-started')}; echo done > out.txt` },
      { id: 'b', script: `touch "$FLUXO_RUN/b-started"; ${waitFor('$FLUXO_RUN/a-started')}; echo done > out.txt` },
      { id: 'c', deps: ['a', 'b'], script: 'test -f ../a/out.txt && test -f ../b/out.txt && echo ok > out.txt' },
    ]);
    const { exec } = execution(b, 2);
    expect(await exec.start()).toBe('completed');
    expect(exec.steps.map((s) => [s.id, s.state, s.exitCode])).toEqual([
      ['a', 'completed', 0],
      ['b', 'completed', 0],
      ['c', 'completed', 0],
    ]);
    expect(exec.steps[2]!.outputs[0]).toMatchObject({ exists: true, size: 3 });
  });

  it('runs one step at a time on one core, in dependency order', async () => {
    const b = bundle([
      { id: 'a', script: 'echo a >> "$FLUXO_RUN/order"; echo > out.txt' },
      { id: 'b', deps: ['c'], script: 'echo b >> "$FLUXO_RUN/order"' },
      { id: 'c', script: 'echo c >> "$FLUXO_RUN/order"' },
    ]);
    b.manifest.order = ['a', 'c', 'b'];
    const { exec, changes } = execution(b, 1);
    expect(await exec.start()).toBe('completed');
    expect(readFileSync(path.join(b.dir, 'order'), 'utf8')).toBe('a\nc\nb\n');
    // Never two running at once.
    let running = 0;
    for (const c of changes) {
      running += c.state === 'running' ? 1 : -1;
      expect(running).toBeLessThanOrEqual(1);
    }
  });

  it('records the exit code and log of a failed step, skips what depends on it, and finishes the rest', async () => {
    const b = bundle([
      { id: 'bad', script: 'echo "loading data"; echo "error: the column target is missing" >&2; exit 3' },
      { id: 'after', deps: ['bad'], script: 'echo never > out.txt' },
      { id: 'other', script: 'echo fine > out.txt' },
    ]);
    const { exec, logs } = execution(b, 2);
    expect(await exec.start()).toBe('failed');
    const byId = Object.fromEntries(exec.steps.map((s) => [s.id, s]));
    expect(byId.bad).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(byId.after).toMatchObject({ state: 'skipped', exitCode: null });
    expect(byId.other).toMatchObject({ state: 'completed' });
    expect(byId.bad!.startedAt).not.toBeNull();
    expect(byId.bad!.seconds).toBeGreaterThanOrEqual(0);
    const log = readFileSync(path.join(b.dir, 'logs/bad.log'), 'utf8');
    expect(log).toContain('loading data');
    expect(log).toContain('error: the column target is missing');
    expect(logs.join('')).toContain('bad:loading data');
  });

  it('cancelling ends every process a step started, and nothing downstream runs', async () => {
    const b = bundle([
      { id: 'long', script: 'sleep 300 & echo $! > "$FLUXO_RUN/child.pid"; touch "$FLUXO_RUN/started"; wait' },
      { id: 'next', deps: ['long'], script: 'echo > out.txt' },
    ]);
    const { exec } = execution(b, 2);
    const finished = exec.start();
    await expect.poll(() => existsSync(path.join(b.dir, 'started')), { timeout: 10000 }).toBe(true);
    const child = Number(readFileSync(path.join(b.dir, 'child.pid'), 'utf8'));
    expect(alive(child)).toBe(true);
    expect(await exec.cancel()).toBe('cancelled');
    expect(await finished).toBe('cancelled');
    await expect.poll(() => alive(child), { timeout: 5000 }).toBe(false);
    expect(exec.steps.map((s) => s.state)).toEqual(['cancelled', 'cancelled']);
  });
});
