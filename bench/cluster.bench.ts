/**
 * Cluster runs on the lab, measured against what a person would do by hand (issue 4):
 *
 * 1. Submission of a 50-step chain: Fluxo's run from "Run" (blocks and profiles loaded, as in
 *    the app; a new SSH connection) to every job id recorded (connect, upload the bundle,
 *    submit.sh, job ids read back and saved), against ONE OpenSSH `ssh` command running the same
 *    50 chained `sbatch` calls. Goal: at most 1.3x.
 * 2. A rerun of an unchanged pipeline: bytes uploaded and steps executed. Goal: 0 and 0.
 *
 * Median of BENCH_REPEATS (default 3) runs of each, alternated, in this process. Without the lab
 * it prints why and exits 0. Run: LAB_DIR=... node bench/run.mjs bench/cluster.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunRecord } from '../shared/api';
import { DOCUMENT_VERSION, parseDocument } from '../shared/document';
import type { PipelineDocument } from '../shared/document';
import { createBackend } from '../electron/backend';
import { createClusterConnections } from '../electron/backend/clusters';
import type { Prompter } from '../electron/ssh/transport';
import { makeLabHome } from '../test/cluster/fluxoHome';
import type { Lab } from '../test/cluster/lab';
import { asUser, openLab, REPO, sh } from '../test/cluster/lab';

const STEPS = Number(process.env.BENCH_STEPS ?? 50);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

const refuse: Prompter = { confirmHostKey: async () => false, ask: async () => null };

function chain(n: number): PipelineDocument {
  const steps = Array.from({ length: n }, (_, i) => ({
    id: `s${i + 1}`,
    type: 'shell-command',
    version: 1,
    label: `Step ${i + 1}`,
    // Held on the scheduler by the dependency chain; each job only touches a file.
    params: { command: `echo ${i + 1} > n.txt` },
    position: { x: i * 200, y: 0 },
  }));
  const doc = {
    format: 'fluxo-pipeline',
    version: DOCUMENT_VERSION,
    metadata: { name: `chain of ${n}`, description: '', author: 'bench', created: '2026-11-24T00:00:00.000Z', updated: '2026-11-24T00:00:00.000Z' },
    steps,
    connections: steps.slice(1).map((s, i) => ({ from: { step: steps[i]!.id, port: 'results' }, to: { step: s.id, port: 'input' } })),
    notes: [],
  };
  const parsed = parseDocument(JSON.stringify(doc));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.document;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(lab: Lab): Promise<void> {
  const home = makeLabHome(lab);
  // A backend per measured run: each pays for its own SSH connection, as the ssh command does.
  const newBackend = () =>
    createBackend({
      hostKind: 'cli',
      resourcesDir: path.join(REPO, 'resources'),
      homeDir: home.home,
      clusters: createClusterConnections({ prompter: refuse, homeDir: home.home, env: { ...process.env, ...home.env } }),
      pollMinMs: 1000,
      pollMaxMs: 5000,
    });
  const backend = newBackend();
  const sshArgs = ['-F', lab.env.LAB_SSH_CONFIG!, 'fluxolab'];
  try {
    const fluxoTimes: number[] = [];
    const sshTimes: number[] = [];
    // Round 0 warms up both (JIT, sshd, slurmctld caches) and is not counted.
    for (let r = 0; r <= REPEATS; r++) {
      const b = newBackend();
      // As in the app when Run is pressed: blocks and profiles are loaded; the connection is not open.
      await b.services.catalog.list();
      await b.services.targets.list();
      // A new first command each time, so nothing comes from the cache.
      const doc = chain(STEPS);
      doc.steps[0]!.params.command = `echo run ${r} ${Date.now()} > n.txt`;
      const t0 = performance.now();
      const started = await b.services.runs.start({ document: doc, targetId: 'lab' });
      if (!started.ok) throw new Error(started.error.message);
      const id = started.value.id;
      for (;;) {
        const rec: RunRecord = (await b.services.runs.get(id).then((x) => (x.ok ? x.value : null)))!;
        if (rec.remote && rec.remote.phase !== 'staging' && rec.remote.phase !== 'submitting' && rec.steps.every((s) => s.job)) break;
        await new Promise((res) => setTimeout(res, 5));
      }
      const fluxoMs = performance.now() - t0;
      await b.services.runs.cancel(id);
      await b.dispose();

      // OpenSSH: one ssh command, the same 50 scripts, chained with afterok.
      const dir = path.join(home.workRoot, `ssh-${r}`);
      const scripts = path.join(home.workRoot, id, 'bundle', 'steps');
      const loop = [
        `mkdir -p ${sh(dir)}/logs && cd ${sh(dir)}`,
        'prev=',
        `for f in ${sh(scripts)}/*.sh; do`,
        `  id=$(sbatch --parsable --export=ALL,FLUXO_RUN=${sh(dir)},FLUXO_BUNDLE=${sh(path.dirname(scripts))} --kill-on-invalid-dep=yes \${prev:+--dependency=afterok:$prev} "$f") || exit 1`,
        '  prev=$id; echo $id',
        'done',
      ].join('\n');
      const t1 = performance.now();
      const out = spawnSync('ssh', [...sshArgs, loop], { encoding: 'utf8' });
      const sshMs = performance.now() - t1;
      if (out.status !== 0) throw new Error(`ssh baseline failed: ${out.stderr}`);
      spawnSync('ssh', [...sshArgs, `scancel ${out.stdout.trim().split('\n').join(' ')}`]);
      if (r > 0) {
        fluxoTimes.push(fluxoMs);
        sshTimes.push(sshMs);
      }
    }
    const f = median(fluxoTimes);
    const o = median(sshTimes);
    console.log(`submission of a ${STEPS}-step chain to the lab (median of ${REPEATS}):`);
    console.log(`  Fluxo (connect, upload bundle, submit.sh, ids saved): ${(f / 1000).toFixed(2)} s   [${fluxoTimes.map((t) => (t / 1000).toFixed(2)).join(', ')}]`);
    console.log(`  one OpenSSH ssh running ${STEPS} chained sbatch:      ${(o / 1000).toFixed(2)} s   [${sshTimes.map((t) => (t / 1000).toFixed(2)).join(', ')}]`);
    console.log(`  Fluxo / OpenSSH = ${(f / o).toFixed(2)} (goal: at most 1.3)`);

    // Rerun of an unchanged pipeline.
    const example = parseDocument(readFileSync(path.join(REPO, 'resources/examples/breast-cancer-classifier.fluxo'), 'utf8'));
    if (!example.ok) throw new Error(example.message);
    const runOnce = async () => {
      const t = performance.now();
      const s = await backend.services.runs.start({ document: example.document, targetId: 'lab' });
      if (!s.ok) throw new Error(s.error.message);
      const rec = await backend.waitForRun(s.value.id);
      return { rec, seconds: (performance.now() - t) / 1000 };
    };
    const first = await runOnce();
    const again = await runOnce();
    const r1 = first.rec.remote!;
    const r2 = again.rec.remote!;
    console.log('rerun of an unchanged pipeline (breast-cancer-classifier):');
    console.log(`  first run: ${first.rec.status}, ${r1.bytesUploaded} bytes uploaded, ${r1.stepsExecuted} steps executed, ${first.seconds.toFixed(1)} s`);
    console.log(`  rerun:     ${again.rec.status}, ${r2.bytesUploaded} bytes uploaded, ${r2.stepsExecuted} steps executed, ${r2.stepsCached} cached, ${again.seconds.toFixed(1)} s`);
    console.log(`  rerun / first run time = ${(again.seconds / first.seconds).toFixed(2)}; bytes uploaded ${r2.bytesUploaded} (goal 0), steps executed ${r2.stepsExecuted} (goal 0)`);
  } finally {
    await backend.dispose();
    asUser(lab, `rm -rf ~/${sh(home.workRootName)}`);
    rmSync(home.home, { recursive: true, force: true });
  }
}

const gate = openLab();
if (gate.reason !== undefined) console.log(`cluster bench: not run, ${gate.reason}`);
else await main(gate.lab);
