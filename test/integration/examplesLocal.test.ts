// @vitest-environment node
/**
 * Every example the gallery says runs on "This computer" runs there, end to end, as a user runs it:
 * `fluxo run FILE --target local --json --out DIR`, with the real blocks, Python and tools. A cluster-
 * only example is refused before anything runs, with the reason.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNodeBundles } from '../fixtures/buildNode';

const REPO = path.resolve(__dirname, '../..');
const EXAMPLES = path.join(REPO, 'resources/examples');
const index = JSON.parse(readFileSync(path.join(EXAMPLES, 'index.json'), 'utf8')) as Array<{ id: string; file: string; targets: string[] }>;

let tmp = '';

/** The CLI as bin/fluxo.cjs starts it, from this file's own build (other tests rebuild dist/ meanwhile). */
function fluxo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const start = `require(${JSON.stringify(path.join(tmp, 'cli', 'electron', 'cli.cjs'))}).main(process.argv.slice(1)).then((code) => { process.exitCode = code; })`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', start, ...args], {
      cwd: tmp,
      env: { ...process.env, FLUXO_HOME: path.join(tmp, 'home'), FLUXO_RESOURCES: path.join(REPO, 'resources') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-examples-'));
  await buildNodeBundles(path.join(tmp, 'cli'));
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('examples on "This computer"', () => {
  for (const example of index.filter((e) => e.targets.includes('local'))) {
    it(`${example.id} runs to completion and every step's outputs exist`, { timeout: 15 * 60_000 }, async () => {
      const out = path.join(tmp, 'runs', example.id);
      const r = await fluxo(['run', path.join(EXAMPLES, example.file), '--target', 'local', '--json', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as { status: string };
      expect(summary.status).toBe('completed');
      const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as {
        steps: Array<{ id: string; state: string; outputs: Array<{ path: string; exists: boolean }> }>;
      };
      for (const step of record.steps) {
        expect(step.state, step.id).toBe('completed');
        for (const o of step.outputs) expect(existsSync(path.join(out, o.path)), `${step.id}: ${o.path}`).toBe(true);
      }
      // The run is described for others: a Workflow Run RO-Crate naming every step.
      const crate = readFileSync(path.join(out, 'ro-crate-metadata.json'), 'utf8');
      for (const step of record.steps) expect(crate).toContain(step.id);
    });
  }

  for (const example of index.filter((e) => !e.targets.includes('local'))) {
    it(`${example.id} is refused before anything runs, saying it needs a cluster`, async () => {
      const out = path.join(tmp, 'runs', example.id);
      const r = await fluxo(['run', path.join(EXAMPLES, example.file), '--target', 'local', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/needs a cluster/);
      expect(existsSync(path.join(out, 'run.json'))).toBe(false);
    });
  }
});
