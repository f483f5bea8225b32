/**
 * Slurm queries per monitoring cycle with 200 tracked jobs (issue 4's goal: 1 squeue and at most
 * 1 sacct per cycle), on the cluster lab: 200 separate jobs (not an array), submitted on hold,
 * tracked, released, watched to the end. Prints the calls of every cycle, and the baseline of
 * polling each job on its own (200 calls per cycle) as a ratio, with the time one batched squeue
 * takes next to 200 single ones measured in the same run. Cancels everything at the end. Without
 * the lab it prints why and exits 0. Run: LAB_DIR=... node bench/run.mjs bench/monitor.bench.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { JobUpdate, MonitorExecResult, TrackedJob } from '../electron/targets/slurm/monitor';
import { SlurmMonitor } from '../electron/targets/slurm/monitor';
import type { Lab } from '../test/cluster/lab';
import { asUser, asUserAsync, openLab, sh, sleep } from '../test/cluster/lab';

const JOBS = Number(process.env.BENCH_JOBS ?? 200);

async function readFile(file: string, o: { start: number; maxBytes: number }): Promise<Buffer | null> {
  try {
    const fd = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.alloc(o.maxBytes);
      const { bytesRead } = await fd.read(buf, 0, o.maxBytes, o.start);
      return buf.subarray(0, bytesRead);
    } finally {
      await fd.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

async function main(lab: Lab): Promise<void> {
  const dir = path.join(lab.userHome, 'fluxo-runs', `bench-monitor-${Date.now().toString(36)}`);
  const ids: string[] = [];
  try {
    const mk = asUser(lab, `mkdir -p ${sh(path.join(dir, 'logs'))}`);
    if (mk.code !== 0) throw new Error(mk.stderr);
    // 200 separate jobs, held so that all are tracked before any runs; each writes its exit marker.
    const t0 = performance.now();
    const sub = asUser(
      lab,
      `cd ${sh(dir)} && for i in $(seq 1 ${JOBS}); do id=$(sbatch --parsable -H -o /dev/null --job-name=fluxo-bench --wrap "sleep 1; echo 0 > logs/job-$i.exit") || exit 1; echo "$i $id $(date -u +%Y-%m-%dT%H:%M:%SZ)"; done`,
      { timeoutMs: 300_000 },
    );
    if (sub.code !== 0) throw new Error(`sbatch failed: ${sub.stderr}`);
    const jobs: TrackedJob[] = sub.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [i = '', id = '', at = ''] = line.split(' ');
        ids.push(id);
        return { key: `${id}@${at}`, id, submittedAt: at, runId: 'bench', stepId: `job-${i}`, tasks: null, markers: [path.join(dir, 'logs', `job-${i}.exit`)], gpus: 0 };
      });
    console.log(`submitted ${jobs.length} separate jobs (held) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Baseline in the same run: one squeue naming all of them, against one squeue per job.
    const fmt = "-h -r -t all -o '%i|%T'";
    let t = performance.now();
    const one = await asUserAsync(lab, `squeue ${fmt} -j ${ids.join(',')}`);
    const batchedMs = performance.now() - t;
    if (one.code !== 0) throw new Error(one.stderr);
    t = performance.now();
    const each = await asUserAsync(lab, `for id in ${ids.join(' ')}; do squeue ${fmt} -j "$id" >/dev/null || exit 1; done`, { timeoutMs: 300_000 });
    const separateMs = performance.now() - t;
    if (each.code !== 0) throw new Error(each.stderr);

    const cycles: Array<{ squeue: number; sacct: number; other: number; markers: number; unfinished: number; ms: number }> = [];
    let unfinished = jobs.length;
    let cycleStart = 0;
    const exec = async (command: string): Promise<MonitorExecResult> => {
      if (/\bsqueue\b/.test(command)) {
        cycleStart = performance.now();
        cycles.push({ squeue: 1, sacct: 0, other: 0, markers: 0, unfinished, ms: 0 });
      } else if (/\bsacct\b/.test(command)) cycles.at(-1)!.sacct++;
      else if (cycles.length > 0) cycles.at(-1)!.other++;
      const r = await asUserAsync(lab, command, { timeoutMs: 120_000 });
      if (cycles.length > 0) cycles.at(-1)!.ms = performance.now() - cycleStart;
      return r;
    };
    const finals = new Set<string>();
    const monitor = new SlurmMonitor({
      exec,
      // Marker reads (SFTP over SSH) are counted too: one per job that ended, never per cycle.
      readFile: (file, o) => {
        if (cycles.length > 0) cycles.at(-1)!.markers++;
        return readFile(file, o);
      },
      minIntervalMs: 2000,
      maxIntervalMs: 8000,
      onUpdate: (us: JobUpdate[]) => {
        for (const u of us) if (u.final) finals.add(u.key);
        unfinished = jobs.length - finals.size;
      },
    });
    for (const j of jobs) monitor.track(j);
    await sleep(2500);
    const rel = asUser(lab, `scontrol release ${ids.join(',')}`);
    if (rel.code !== 0) throw new Error(`scontrol release failed: ${rel.stderr}`);
    const end = Date.now() + 300_000;
    while (finals.size < jobs.length && Date.now() < end) await sleep(500);
    monitor.stop();

    console.log('\ncycle  unfinished  squeue  sacct  other  marker reads  query ms');
    cycles.forEach((c, i) =>
      console.log(
        `${String(i + 1).padStart(5)}  ${String(c.unfinished).padStart(10)}  ${String(c.squeue).padStart(6)}  ${String(c.sacct).padStart(5)}  ${String(c.other).padStart(5)}  ${String(c.markers).padStart(12)}  ${c.ms.toFixed(0).padStart(8)}`,
      ),
    );
    const maxSqueue = Math.max(...cycles.map((c) => c.squeue));
    const maxSacct = Math.max(...cycles.map((c) => c.sacct));
    const calls = cycles.reduce((n, c) => n + c.squeue + c.sacct, 0);
    const perJobCalls = cycles.reduce((n, c) => n + c.unfinished, 0);
    const counts = [...new Set(monitor.snapshot().map((u) => u.stepState))].map((s) => `${monitor.snapshot().filter((u) => u.stepState === s).length} ${s}`);
    console.log(`\n${finals.size} of ${jobs.length} jobs final (${counts.join(', ')}), accounting ${monitor.accountingMode}, ${cycles.length} cycles`);
    console.log(`squeue per cycle: max ${maxSqueue} (goal 1); sacct per cycle: max ${maxSacct} (goal at most 1)`);
    console.log(`Slurm calls: ${calls} in all; polling each unfinished job on its own: ${perJobCalls} (${JOBS} per cycle at the start)`);
    console.log(`calls, each job polled separately / ours = ${(perJobCalls / Math.max(calls, 1)).toFixed(1)}`);
    console.log(`one squeue for ${JOBS} jobs: ${batchedMs.toFixed(0)} ms; ${JOBS} squeue one by one: ${separateMs.toFixed(0)} ms; ratio = ${(separateMs / batchedMs).toFixed(1)}`);
  } finally {
    // Everything submitted here goes, whatever happened above.
    if (ids.length > 0) asUser(lab, `scancel ${ids.join(' ')}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const gate = openLab();
if (gate.lab === undefined) {
  console.log(`monitor bench skipped: ${gate.reason}`);
} else {
  await main(gate.lab);
}
