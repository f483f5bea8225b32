import { parseTemplateArg } from '../catalog';
import type { PipelineDocument } from '../document';
import type { SlurmProfile, TargetProfile } from '../targets';
import { findPartition } from '../targets';
import type { PlannedStep } from './plan';
import { commentText, quoteValue, renderWord } from './quote';
import type { WordPart } from './quote';
import { slurmTime } from './resources';
import type { BundleManifest, ManifestEnvironment, ManifestStep } from './types';
import { ENV, PYTHON_RUNTIME, SLURM_RUN_FILES } from './types';

/**
 * Step and entry scripts. One structure for every target: header comment, (#SBATCH block),
 * strict mode, locations, final-state marker, task values, software set-up, output folder,
 * command. Every user value reaches the shell single-quoted (quote.ts); names that go into
 * #SBATCH lines were checked by checkTarget (no quoting exists there).
 */

const v = (name: string) => `\${${name}}`;
const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const RUN = v(ENV.run);
const BUNDLE = v(ENV.bundle);
const TASK = v(ENV.task);

export function stepDir(stepId: string): string {
  return `steps/${stepId}`;
}

/** The shell variable that holds a swept param's value for this task. */
export function sweepVar(paramId: string): string {
  return `P_${paramId}`;
}

export function scriptName(index: number, stepId: string, total: number): string {
  return `steps/${String(index + 1).padStart(Math.max(2, String(total).length), '0')}-${stepId}.sh`;
}

export function markerPath(stepId: string, array: boolean): string {
  return array ? `logs/${stepId}_{task}.exit` : `logs/${stepId}.exit`;
}

export function logPaths(stepId: string, array: boolean, slurm: boolean): { out: string; err: string } {
  const base = array ? `logs/${stepId}_{task}` : `logs/${stepId}`;
  return slurm ? { out: `${base}.out`, err: `${base}.err` } : { out: `${base}.log`, err: `${base}.log` };
}

/** Rendering context of one step. */
export interface StepContext {
  doc: PipelineDocument;
  target: TargetProfile;
  plan: PlannedStep;
  manifest: ManifestStep;
  /** The Slurm account and reservation of the run (checked safe), null when none. */
  account: string | null;
  reservation: string | null;
}

function pythonUsesHostInterpreter(env: ManifestEnvironment): boolean {
  return env.kind === 'system';
}

/** One argv template element -> shell words (an element naming a fan-in input gives one word per path). */
function renderElement(arg: string, ctx: StepContext): string[] {
  const { plan } = ctx;
  const parsed = parseTemplateArg(arg);
  // The catalog refuses malformed templates; this guards hand-built catalogs.
  if (!parsed.ok) throw new Error(`${plan.block.id}: ${parsed.message}`);
  const array = plan.tasks !== null;
  const swept = new Set(plan.ownPoints ? Object.keys(plan.ownPoints[0] ?? {}) : []);
  const own = (): WordPart[] => [{ kind: 'var', name: ENV.run }, { kind: 'text', text: `/${stepDir(plan.step.id)}` }, ...(array ? ([{ kind: 'text', text: '/task-' }, { kind: 'var', name: ENV.task }] as WordPart[]) : [])];
  // Each part has one or more alternatives; the element expands to their product (one per fan-in path).
  const alternatives: WordPart[][][] = parsed.parts.map((p): WordPart[][] => {
    switch (p.kind) {
      case 'text':
        return [[p]];
      case 'python':
        return [[pythonUsesHostInterpreter(ctx.manifest.environment) ? { kind: 'var', name: ENV.python } : { kind: 'text', text: 'python3' }]];
      case 'block':
        return [[{ kind: 'var', name: ENV.bundle }, { kind: 'text', text: `/blocks/${plan.block.id}` }]];
      case 'outdir':
        return [own()];
      case 'param': {
        if (swept.has(p.id)) return [[{ kind: 'var', name: sweepVar(p.id) }]];
        const value = plan.params[p.id];
        return [[{ kind: 'value', value: value === undefined ? '' : typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value) }]];
      }
      case 'input': {
        const port = plan.block.inputs.find((i) => i.id === p.id)!;
        const sources = plan.inputs.get(p.id) ?? [];
        if (sources.length === 0) return [[{ kind: 'value', value: '' }]];
        const paths: WordPart[][] = [];
        for (const s of sources) {
          const upDir = `/${stepDir(s.step)}`;
          if (s.tasks === null) paths.push([{ kind: 'var', name: ENV.run }, { kind: 'text', text: `${upDir}/${s.file}` }]);
          else if (!port.multiple) paths.push([{ kind: 'var', name: ENV.run }, { kind: 'text', text: `${upDir}/task-` }, { kind: 'var', name: ENV.task }, { kind: 'text', text: `/${s.file}` }]);
          else for (let i = 0; i < s.tasks; i++) paths.push([{ kind: 'var', name: ENV.run }, { kind: 'text', text: `${upDir}/task-${i}/${s.file}` }]);
        }
        return paths;
      }
      case 'output':
        return [[...own(), { kind: 'text', text: `/${plan.block.outputs.find((o) => o.id === p.id)!.path}` }]];
    }
  });
  let words: WordPart[][] = [[]];
  for (const alts of alternatives) words = words.flatMap((w) => alts.map((a) => [...w, ...a]));
  return words.map(renderWord);
}

/** Lines of the command, each a list of words; a flag and its value share a line, like a --help page. */
function commandLines(ctx: StepContext): string[][] {
  const { plan, target } = ctx;
  const cmd = plan.block.command;
  const rendered = cmd.map((a) => renderElement(a, ctx));
  const gpus = plan.resources.gpus;
  const launcher = plan.block.software.launcher;
  const lines: string[][] = [];
  const env = ctx.manifest.environment;
  const launched = launcher !== 'plain' && gpus > 0 && cmd[0] === '{{python}}';
  if (launched && target.kind === 'slurm') lines.push(['srun', '--nodes=1', '--ntasks=1', `--cpus-per-task=${plan.resources.cpus}`]);
  if (env.kind === 'container') lines.push([env.runtime!, 'exec', '"${fluxo_bind[@]}"', ...(env.gpuFlag ? [env.gpuFlag] : []), env.pulledImage ? '"${FLUXO_IMAGE}"' : quoteValue(env.image!)]);
  let start = 0;
  if (launched) {
    lines.push(launcher === 'torchrun' ? ['torchrun', '--standalone', '--nnodes=1', `--nproc_per_node=${gpus}`] : ['accelerate', 'launch', `--num_processes=${gpus}`, '--num_machines=1']);
    start = 1;
  }
  for (let i = start; i < cmd.length; i++) {
    const flag = cmd[i]!;
    const next = cmd[i + 1];
    const words = rendered[i]!;
    if (flag.startsWith('-') && !flag.includes('=') && !flag.includes('{{') && next !== undefined && !next.startsWith('-')) {
      const values = rendered[i + 1]!;
      lines.push([...words, values[0]!]);
      for (const extra of values.slice(1)) lines.push([extra]);
      i++;
    } else for (const w of words) lines.push([w]);
  }
  return lines;
}

function waitsFor(ctx: StepContext): string {
  const deps = ctx.manifest.dependencies;
  if (deps.length === 0) return 'nothing (a first step)';
  return deps.map((d) => (d.mode === 'each' ? `${d.step} (task by task: task i after task i of ${d.step})` : `${d.step} (all of it)`)).join(', ');
}

function runsAs(ctx: StepContext): string {
  const t = ctx.plan.tasks;
  if (!t) return 'once';
  const limit = t.maxParallel ? `, at most ${t.maxParallel} at once` : '';
  if (t.sweepOf === ctx.plan.step.id) return `${t.count} tasks (a job array), one per point of the sweep over ${Object.keys(t.points[0] ?? {}).join(', ')}${limit}`;
  return `${t.count} tasks (a job array), one per task of the sweep of ${t.sweepOf}${limit}`;
}

function sbatchLines(ctx: StepContext, target: SlurmProfile): string[] {
  const { plan } = ctx;
  const r = plan.resources;
  const id = plan.step.id;
  const array = plan.tasks !== null;
  const logs = array ? `logs/${id}_%a` : `logs/${id}`;
  const lines = [
    '# Slurm reads the #SBATCH lines when submit.sh submits this script. submit.sh adds --chdir',
    '# (the run folder, which the log paths below are relative to) and --dependency (what it waits for).',
  ];
  if (r.cpusRaisedFrom !== null) {
    lines.push(`# CPUs: ${r.cpus}, not the ${r.cpusRaisedFrom} the step asks for: ${target.title} gives ${target.gpus?.cpusPerGpu} cores per GPU (x ${r.gpus} GPUs).`);
  }
  lines.push(
    `#SBATCH --job-name=${ctx.manifest.jobName}`,
    `#SBATCH --output=${logs}.out`,
    `#SBATCH --error=${logs}.err`,
    '#SBATCH --nodes=1',
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${r.cpus}`,
    `#SBATCH --mem=${r.memoryMb}M`,
    `#SBATCH --time=${slurmTime(r.timeMinutes)}`,
    `#SBATCH --partition=${r.partition}`,
  );
  if (ctx.account) lines.push(`#SBATCH --account=${ctx.account}`);
  if (r.qos) lines.push(`#SBATCH --qos=${r.qos}`);
  if (ctx.reservation) lines.push(`#SBATCH --reservation=${ctx.reservation}`);
  if (r.gpus > 0 && target.gpus) {
    const partition = findPartition(target, r.partition!);
    if (target.gpus.syntax === 'gres-typed') lines.push(`#SBATCH --gres=gpu:${partition?.gpuType}:${r.gpus}`);
    else if (target.gpus.syntax === 'gres') lines.push(`#SBATCH --gres=gpu:${r.gpus}`);
    else lines.push(`#SBATCH --gpus-per-node=${r.gpus}`);
  }
  if (plan.tasks) lines.push(`#SBATCH --array=0-${plan.tasks.count - 1}${plan.tasks.maxParallel ? `%${plan.tasks.maxParallel}` : ''}`);
  return lines;
}

/** Lines that set up the step's software, with a comment saying plainly what it is. */
function environmentLines(ctx: StepContext): string[] {
  const env = ctx.manifest.environment;
  const target = ctx.target;
  const python = ctx.plan.block.software.python !== undefined;
  const moduleCommand = [
    '# Batch jobs do not always inherit the `module` command; the login profile defines it.',
    'if ! type module >/dev/null 2>&1 && [ -r /etc/profile ]; then',
    '  set +eu',
    '  # shellcheck source=/dev/null',
    '  . /etc/profile',
    '  set -eu',
    'fi',
    'if ! type module >/dev/null 2>&1; then',
    `  echo "error: the module command is not available on this node, so the modules this step needs cannot be loaded" >&2`,
    '  exit 1',
    'fi',
  ];
  const load = (modules: string[]) => [
    '# Lmod reads variables that may be unset, so -u is paused while it loads.',
    'set +u',
    `module load ${modules.map((m) => renderWord([{ kind: 'text', text: m }])).join(' ')}`,
    'set -u',
  ];
  switch (env.kind) {
    case 'system':
      if (target.kind === 'local') {
        return [`# Software: what is installed on this computer${env.tools.length ? ` (${env.tools.join(', ')})` : ''}.${python ? ' Python is $FLUXO_PYTHON, chosen by Fluxo for the modules this block needs.' : ''}`];
      }
      return [`# Software: the cluster's own installed tools, found on PATH${env.tools.length ? ` (${env.tools.join(', ')})` : ''}.${python ? ' Python is $FLUXO_PYTHON (default python3).' : ''}`];
    case 'modules':
      return [`# Software: environment modules, loaded in this order: ${env.modules.join(', ')}.${python ? ' Python is the python3 they provide.' : ''}`, ...moduleCommand, ...load(env.modules)];
    case 'conda': {
      const setup = (target.kind === 'slurm' && target.conda?.module) || null;
      return [
        `# Software: the conda environment ${env.conda}${setup ? ` (conda comes from the module ${setup})` : ''}.${python ? ' Python is its python3.' : ''}`,
        ...(setup ? [...moduleCommand, ...load([setup])] : []),
        "# conda's activation scripts read unset variables, so -u is paused around them.",
        'set +u',
        'fluxo_conda_base="$(conda info --base)"',
        '# shellcheck source=/dev/null',
        '. "${fluxo_conda_base}/etc/profile.d/conda.sh"',
        `conda activate ${quoteValue(env.conda!)}`,
        'set -u',
      ];
    }
    case 'container': {
      const rt = target.kind === 'slurm' ? target.containers : null;
      const lines = [`# Software: the container image ${env.image}, run with ${env.runtime}.${python ? ' Python is the python3 inside the image.' : ''}`];
      if (rt?.module) lines.push(...moduleCommand, `# ${env.runtime} comes from the module ${rt.module}.`, ...load([rt.module]));
      if (rt?.cacheDir) {
        lines.push(
          '# Images pulled from a registry are cached here rather than in the small home folder.',
          // The profile's path may name site variables ($STORE); check.ts allows nothing else in it.
          `export APPTAINER_CACHEDIR="${rt.cacheDir}"`,
          'export SINGULARITY_CACHEDIR="${APPTAINER_CACHEDIR}"',
          'mkdir -p "${APPTAINER_CACHEDIR}"',
        );
      }
      if (env.pulledImage) {
        lines.push(
          '# Compute nodes may have no internet: a .sif pulled beforehand on the login node into the',
          `# images folder (default: the run's images/) is used instead of ${env.image}.`,
          `${ENV.images}="\${${ENV.images}:-${RUN}/images}"`,
          `FLUXO_IMAGE="\${${ENV.images}}/${env.pulledImage}"`,
          `if [ ! -f "\${FLUXO_IMAGE}" ]; then FLUXO_IMAGE=${quoteValue(env.image!)}; fi`,
        );
      }
      lines.push(
        `# The container sees the run folder (inputs, outputs) and the bundle (block scripts)${env.gpuFlag ? `; ${env.gpuFlag} gives it the node's ${env.gpuFlag === '--nv' ? 'NVIDIA' : 'AMD'} GPUs` : ''}.`,
        `fluxo_bind=(--bind "${RUN}")`,
        `case "${BUNDLE}/" in`,
        `  "${RUN}"/*) ;;`,
        `  *) fluxo_bind+=(--bind "${BUNDLE}") ;;`,
        'esac',
      );
      return lines;
    }
  }
}

export function renderStepScript(ctx: StepContext): string {
  const { doc, target, plan, manifest } = ctx;
  const slurm = target.kind === 'slurm';
  const id = plan.step.id;
  const array = plan.tasks !== null;
  const usesPython = plan.block.command.some((a) => a.includes('{{python}}')) && pythonUsesHostInterpreter(manifest.environment);
  const out: string[] = [
    '#!/bin/bash',
    '# Generated by Fluxo. Edit the pipeline in Fluxo rather than this file.',
    `# Pipeline:  ${commentText(doc.metadata.name)}`,
    `# Step:      ${id} (${commentText(manifest.label)})`,
    `# Block:     ${plan.block.id} v${plan.block.version}, ${commentText(plan.block.title)}`,
    `# Target:    ${target.id} (${commentText(target.title)})`,
    `# Waits for: ${waitsFor(ctx)}`,
    `# Runs:      ${runsAs(ctx)}`,
    `# Resources: ${count(plan.resources.cpus, 'CPU')}, ${plan.resources.memoryMb} MB, ${count(plan.resources.timeMinutes, 'minute')}${plan.resources.gpus ? `, ${count(plan.resources.gpus, 'GPU')}` : ''}${plan.resources.partition ? `, partition ${plan.resources.partition}` : ''}${array ? ' (each task)' : ''}`,
  ];
  if (slurm) out.push(...sbatchLines(ctx, target));
  out.push('', 'set -euo pipefail', '');

  if (slurm) {
    out.push(
      '# Locations: submit.sh exports the run folder (every output) and the bundle (these scripts).',
      "# Slurm runs a copy of this file from its spool folder, so the file's own place says nothing.",
      `: "\${${ENV.run}:?is not set; submit this step with submit.sh, which exports it}"`,
      `: "\${${ENV.bundle}:?is not set; submit this step with submit.sh, which exports it}"`,
    );
  } else {
    out.push(
      '# Locations: the bundle holds these scripts, the run folder every output. By default both are',
      '# found from where this file lies (bundle/steps/), so a copied bundle still runs.',
      `${ENV.bundle}="\${${ENV.bundle}:-$(cd "$(dirname "\${BASH_SOURCE[0]}")/.." && pwd)}"`,
      `${ENV.run}="\${${ENV.run}:-$(dirname "${BUNDLE}")}"`,
    );
  }
  if (usesPython) out.push(`${ENV.python}="\${${ENV.python}:-python3}"`);
  out.push('');

  if (array) {
    out.push(
      slurm ? "# Which task of the job array this is: Slurm's SLURM_ARRAY_TASK_ID, or FLUXO_TASK when run by hand." : '# Which task of this step to run (0 unless the runner says otherwise).',
      slurm ? `${ENV.task}="\${SLURM_ARRAY_TASK_ID:-\${${ENV.task}:-0}}"` : `${ENV.task}="\${${ENV.task}:-0}"`,
      `if ! [[ "${TASK}" =~ ^[0-9]+$ ]]; then`,
      `  echo "error: the task number must be a whole number, not '${TASK}'" >&2`,
      '  exit 2',
      'fi',
      '',
    );
  }

  const marker = `${RUN}/${manifest.marker.replace('{task}', TASK)}`;
  out.push(
    '# Final state: however the script ends, its exit code goes to the marker file, written whole and',
    '# then renamed so a reader never sees half of it. It is the most robust final state where Slurm',
    '# keeps no accounting. A TERM (scancel, time limit, cancel on this computer) ends it with 143.',
    `FLUXO_MARKER="${marker}"`,
    `mkdir -p "${RUN}/logs"`,
    'rm -f "${FLUXO_MARKER}"',
    'fluxo_write_marker() {',
    '  local code=$?',
    '  printf \'%s\\n\' "${code}" >"${FLUXO_MARKER}.tmp.$$"',
    '  mv -f "${FLUXO_MARKER}.tmp.$$" "${FLUXO_MARKER}"',
    '  exit "${code}"',
    '}',
    'trap fluxo_write_marker EXIT',
    "trap 'exit 143' TERM",
    '',
  );

  if (plan.tasks) {
    const t = plan.tasks;
    const usedVars = new Set(plan.block.command.flatMap((a) => [...a.matchAll(/\{\{\s*params\.([a-z][a-z0-9_]*)\s*\}\}/g)].map((m) => m[1]!)));
    out.push(
      t.sweepOf === id
        ? '# The sweep values of this task, each exactly as typed (single quotes keep every character), and'
        : `# This task's record (the sweep point of ${t.sweepOf} it follows), which`,
      t.sweepOf === id ? '# its record for fluxo-task.json, which blocks that collect a sweep use to label each point.' : '# blocks that collect a sweep use to label each point.',
      `case "${TASK}" in`,
    );
    t.points.forEach((point, i) => {
      const own = plan.ownPoints?.[i] ?? {};
      const assigns = Object.keys(own)
        .filter((k) => usedVars.has(k))
        .map((k) => {
          const value = own[k]!;
          return `${sweepVar(k)}=${quoteValue(typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value))}`;
        });
      assigns.push(`FLUXO_TASK_JSON=${quoteValue(JSON.stringify({ task: i, params: point }))}`);
      out.push(`  ${i}) ${assigns.join('; ')} ;;`);
    });
    out.push(`  *) echo "error: this step has ${t.count} task${t.count === 1 ? '' : 's'} (0 to ${t.count - 1}); there is no task ${TASK}" >&2; exit 2 ;;`, 'esac', '');
  }

  out.push(...environmentLines(ctx), '');

  const dir = `${RUN}/${stepDir(id)}${array ? `/task-${TASK}` : ''}`;
  out.push(array ? '# Every output of this task goes into its own folder of the run.' : '# Every output of this step goes into its own folder of the run.', `mkdir -p "${dir}"`, `cd "${dir}"`);
  if (array) out.push(`printf '%s\\n' "\${FLUXO_TASK_JSON}" >fluxo-task.json`);
  out.push('');

  if (plan.block.software.python) {
    out.push(
      "# Fluxo's helpers for Python blocks come first on the module path; the bundle stays as shipped.",
      `export PYTHONPATH="${BUNDLE}/${PYTHON_RUNTIME.to}\${PYTHONPATH:+:\${PYTHONPATH}}"`,
      'export PYTHONDONTWRITEBYTECODE=1',
      '',
    );
  }

  const launched = plan.block.software.launcher !== 'plain' && plan.resources.gpus > 0;
  out.push(
    launched
      ? `# The block's command, started by ${plan.block.software.launcher} with one process per GPU${slurm ? ' (under srun, so Slurm tracks and signals every process)' : ''}.`
      : "# The block's command. A flag and its value share a line; every user value is single-quoted.",
  );
  const lines = commandLines(ctx).map((words, i) => (i === 0 ? '' : '  ') + words.join(' '));
  out.push(lines.join(' \\\n'), '');
  return out.join('\n');
}

/** run.sh: every step (every task of an array) in dependency order, one at a time, each with its log. */
export function renderRunScript(doc: PipelineDocument, manifest: BundleManifest): string {
  const lines = [
    '#!/bin/bash',
    '# Generated by Fluxo. Runs every step of this pipeline in dependency order, one at a time.',
    `# Pipeline: ${commentText(doc.metadata.name)}`,
    '# Usage:    bash run.sh   (outputs go to the folder above this bundle, or to $FLUXO_RUN)',
    '# Each step (each task of a step that runs as a job array) logs to logs/<step>.log (logs/<step>_<task>.log).',
    'set -euo pipefail',
    '',
    `${ENV.bundle}="\${${ENV.bundle}:-$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)}"`,
    `${ENV.run}="\${${ENV.run}:-$(dirname "${BUNDLE}")}"`,
    `${ENV.python}="\${${ENV.python}:-python3}"`,
    `export ${ENV.bundle} ${ENV.run} ${ENV.python}`,
    `mkdir -p "${RUN}/logs"`,
    '',
    '# Runs one step, or one task of it, with its output in its own log; stops the run when it fails.',
    'run_step() {',
    '  local id="$1" script="$2" log="$3" task="$4"',
    '  echo "==> ${id}${task:+ (task ${task})}"',
    `  if ! ${ENV.task}="\${task:-0}" bash "${BUNDLE}/\${script}" >"${RUN}/\${log}" 2>&1; then`,
    `    echo "Step \${id}\${task:+ (task \${task})} failed; its log is ${RUN}/\${log}" >&2`,
    '    exit 1',
    '  fi',
    '}',
    '',
  ];
  for (const s of manifest.steps) {
    if (s.tasks) {
      lines.push(
        `for ((task = 0; task < ${s.tasks.count}; task++)); do`,
        `  run_step ${s.id} ${s.script} "${s.logs.out.replace('{task}', '${task}')}" "\${task}"`,
        'done',
      );
    } else lines.push(`run_step ${s.id} ${s.script} ${s.logs.out} ''`);
  }
  lines.push('', 'echo "All steps completed."', '');
  return lines.join('\n');
}

/** What a step waits for, as the arguments of submit(): "afterok:split", "aftercorr:fit" (see deps in submit.sh). */
function dependencyArgs(s: ManifestStep): string {
  return s.dependencies.map((d) => ` ${d.mode === 'each' ? 'aftercorr' : 'afterok'}:${d.step}`).join('');
}

/** The `case` line of use_cache for one step: its id, and its task count when it runs as an array. */
function cachedCase(s: ManifestStep): string {
  return `      ${s.id}) use_cache ${s.id}${s.tasks ? ` ${s.tasks.count}` : ''} ;;`;
}

/**
 * submit.sh: sbatch every step in order with its dependencies; never twice; all or nothing.
 * Steps listed in .fluxo-cached (outputs of an earlier run, put in place by the runner) are not
 * submitted, and what waits for them waits only for the steps really submitted.
 */
export function renderSubmitScript(doc: PipelineDocument, manifest: BundleManifest, target: SlurmProfile): string {
  const { jobs, submitted, cached } = SLURM_RUN_FILES;
  const lines = [
    '#!/bin/bash',
    '# Generated by Fluxo. Submits every step of this pipeline to Slurm, in dependency order.',
    `# Pipeline: ${commentText(doc.metadata.name)}`,
    `# Target:   ${target.id} (${commentText(target.title)})`,
    '# Usage:    bash submit.sh   on a login node. Outputs go to the folder above this bundle (or',
    `#           to $FLUXO_RUN); job ids go to ${jobs} there as they are accepted; cancel.sh cancels them.`,
    '# Running it again does not submit twice: it prints the jobs of the first submission.',
    `# Steps listed in ${cached} (one id a line; Fluxo writes it after putting the outputs of an earlier`,
    '# run in place) are not submitted again.',
    'set -euo pipefail',
    '',
    '# Locations, exported because sbatch passes this environment on to every job (--export=ALL).',
    `${ENV.bundle}="\${${ENV.bundle}:-$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)}"`,
    `${ENV.run}="\${${ENV.run}:-$(dirname "${BUNDLE}")}"`,
    `${ENV.python}="\${${ENV.python}:-python3}"`,
    `export ${ENV.bundle} ${ENV.run} ${ENV.python}`,
    '# Slurm does not create the folder of --output files; a job whose log cannot be opened dies silently.',
    `mkdir -p "${RUN}/logs"`,
    `cd "${RUN}"`,
    '',
    `if [ -e ${submitted} ]; then`,
    `  echo "This run was already submitted; its jobs (step, job id, submitted):"`,
    `  tail -n +2 ${jobs}`,
    '  exit 0',
    'fi',
    'if ! command -v sbatch >/dev/null 2>&1; then',
    `  echo "error: sbatch is not available here; run submit.sh on a login node of ${commentText(target.title).replace(/["$`\\]/g, '')} (${target.login.hosts[0]})" >&2`,
    '  exit 1',
    'fi',
    '# One submission at a time: mkdir is atomic, so a second submit.sh started meanwhile stops here.',
    'if ! mkdir .fluxo-submitting 2>/dev/null; then',
    `  echo "error: another submit.sh is submitting this run. If one was interrupted, cancel its jobs (bash cancel.sh) and remove the folder ${RUN}/.fluxo-submitting" >&2`,
    '  exit 1',
    'fi',
    'fluxo_err="$(mktemp)"',
    "trap 'rm -f \"${fluxo_err}\"; rmdir .fluxo-submitting' EXIT",
    '',
    '# Steps whose outputs an earlier run already made: the runner copied them into steps/<id>/ and',
    `# their exit markers into logs/, then listed the steps in ${cached}. A listed step is used only`,
    '# when every marker it needs says 0 (completed); otherwise it is submitted like any other.',
    'declare -A CACHED=()',
    'use_cache() {',
    '  local step="$1" tasks="${2:-}" marker code i',
    '  local markers=()',
    '  if [ -z "${tasks}" ]; then',
    '    markers=("logs/${step}.exit")',
    '  else',
    '    for ((i = 0; i < tasks; i++)); do markers+=("logs/${step}_${i}.exit"); done',
    '  fi',
    '  for marker in "${markers[@]}"; do',
    '    code=""',
    '    if [ -f "${marker}" ]; then read -r code <"${marker}" || true; fi',
    '    if [ "${code}" != 0 ]; then',
    `      echo "warning: ${cached} lists \${step}, but \${marker} does not say it completed; it runs again" >&2`,
    '      return 0',
    '    fi',
    '  done',
    '  CACHED[${step}]=1',
    '}',
    `if [ -f ${cached} ]; then`,
    '  # Only the ids of this pipeline are taken; a line is never run or expanded.',
    '  while IFS= read -r line || [ -n "${line}" ]; do',
    `    line="\${line%$'\\r'}"`,
    '    case "${line}" in',
    ...manifest.steps.map(cachedCase),
    "      '') ;;",
    `      *) printf 'warning: %s names no step of this pipeline, ignored: %q\\n' ${cached} "\${line}" >&2 ;;`,
    '    esac',
    `  done <${cached}`,
    'fi',
    '',
    'SUBMITTED=()',
    'FROM_CACHE=()',
    'declare -A JOB=()',
    '# Stops the submission and cancels what was already submitted, so no half of the pipeline runs.',
    'abort() {',
    '  echo "error: $1" >&2',
    '  if [ "${#SUBMITTED[@]}" -gt 0 ]; then',
    '    echo "Cancelling the ${#SUBMITTED[@]} job(s) already submitted: ${SUBMITTED[*]}" >&2',
    '    scancel "${SUBMITTED[@]}" || true',
    '  fi',
    '  exit 1',
    '}',
    "trap 'abort \"interrupted\"' INT TERM",
    '',
    '# The --dependency value for what a step waits for ("afterok:split aftercorr:fit" becomes',
    '# "afterok:<job of split>,aftercorr:<job of fit>") in DEPENDENCY, naming only steps submitted above:',
    '# a cached step has no job and its outputs are already there. Empty when nothing is left to wait for.',
    '# (A variable, not printed output: a $(...) per step would fork a shell for each of hundreds of steps.)',
    'DEPENDENCY=""',
    'deps() {',
    '  local want step ok="" corr=""',
    '  for want in "$@"; do',
    '    step="${want#*:}"',
    '    if [ -z "${JOB[${step}]:-}" ]; then continue; fi',
    '    case "${want}" in',
    '      afterok:*) ok+=":${JOB[${step}]}" ;;',
    '      aftercorr:*) corr+=":${JOB[${step}]}" ;;',
    '    esac',
    '  done',
    '  DEPENDENCY=""',
    '  if [ -n "${ok}" ]; then DEPENDENCY="afterok${ok}"; fi',
    '  if [ -n "${corr}" ]; then DEPENDENCY="${DEPENDENCY:+${DEPENDENCY},}aftercorr${corr}"; fi',
    '}',
    '',
    '# The submit time recorded with each job (UTC), read again at most every 30 s rather than once per job.',
    'STAMP=""',
    'STAMP_AT=-30',
    'stamp() {',
    '  if [ $((SECONDS - STAMP_AT)) -ge 30 ]; then',
    '    STAMP="$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    '    STAMP_AT=${SECONDS}',
    '  fi',
    '}',
    '',
    `# Submits one step after the steps it waits for (deps); its job id goes to JOB[step] and at once to ${jobs}`,
    '# (so it is known even if this script dies). --parsable prints "id" or "id;cluster";',
    '# --kill-on-invalid-dep cancels a job whose dependency failed instead of leaving it pending forever.',
    'submit() {',
    '  local step="$1" script="$2" out id',
    '  shift 2',
    '  if [ -n "${CACHED[${step}]:-}" ]; then',
    '    FROM_CACHE+=("${step}")',
    '    echo "${step}: cached (outputs of an earlier run)"',
    '    return 0',
    '  fi',
    '  deps "$@"',
    '  set --',
    '  if [ -n "${DEPENDENCY}" ]; then set -- --dependency="${DEPENDENCY}"; fi',
    `  if ! out="$(sbatch --parsable --export=ALL --chdir="${RUN}" --kill-on-invalid-dep=yes "$@" "${BUNDLE}/\${script}" 2>"\${fluxo_err}")"; then`,
    '    abort "sbatch refused step ${step}: $(cat "${fluxo_err}")"',
    '  fi',
    '  id="${out%%;*}"',
    '  if ! [[ "${id}" =~ ^[0-9]+$ ]]; then',
    '    abort "sbatch gave no job id for step ${step}: ${out} $(cat "${fluxo_err}")"',
    '  fi',
    '  SUBMITTED+=("${id}")',
    '  JOB[${step}]="${id}"',
    '  stamp',
    `  printf '%s\\t%s\\t%s\\n' "\${step}" "\${id}" "\${STAMP}" >>${jobs}`,
    '  echo "${step}: job ${id}"',
    '}',
    '',
    `printf 'step\\tjob\\tsubmitted\\n' >${jobs}`,
  ];
  for (const s of manifest.steps) {
    const waits = s.dependencies.length ? `after ${s.dependencies.map((d) => (d.mode === 'each' ? `${d.step} (task by task)` : d.step)).join(', ')}` : 'first';
    lines.push(`# ${s.id} (${commentText(s.label)}): ${waits}`, `submit ${s.id} ${s.script}${dependencyArgs(s)}`);
  }
  lines.push(
    '',
    `# Every step is in: record it (written whole, then renamed) so running this again submits nothing.`,
    `printf 'submitted %s jobs\\n' "\${#SUBMITTED[@]}" >${submitted}.tmp`,
    `mv -f ${submitted}.tmp ${submitted}`,
    'if [ "${#FROM_CACHE[@]}" -gt 0 ]; then',
    '  echo "${#FROM_CACHE[@]} step(s) not run again, their outputs come from an earlier run: ${FROM_CACHE[*]}"',
    'fi',
    `echo "Submitted \${#SUBMITTED[@]} jobs. Follow them with: squeue -u \\"\\$USER\\"; cancel them with: bash ${BUNDLE}/cancel.sh"`,
    '',
  );
  return lines.join('\n');
}

/** cancel.sh: scancel every job of jobs.tsv, then show what Slurm says about them. */
export function renderCancelScript(doc: PipelineDocument): string {
  const { jobs } = SLURM_RUN_FILES;
  return [
    '#!/bin/bash',
    '# Generated by Fluxo. Cancels every job submit.sh submitted for this run, then shows their states.',
    `# Pipeline: ${commentText(doc.metadata.name)}`,
    '# Usage:    bash cancel.sh   on a login node.',
    'set -euo pipefail',
    '',
    `${ENV.bundle}="\${${ENV.bundle}:-$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)}"`,
    `${ENV.run}="\${${ENV.run}:-$(dirname "${BUNDLE}")}"`,
    `cd "${RUN}"`,
    '',
    `if [ ! -f ${jobs} ]; then`,
    `  echo "Nothing to cancel: ${RUN}/${jobs} does not exist (was submit.sh run?)"`,
    '  exit 0',
    'fi',
    `mapfile -t ids < <(tail -n +2 ${jobs} | cut -f2)`,
    'if [ "${#ids[@]}" -eq 0 ]; then',
    `  echo "Nothing to cancel: ${jobs} lists no jobs"`,
    '  exit 0',
    'fi',
    'echo "Cancelling ${#ids[@]} job(s): ${ids[*]}"',
    'scancel "${ids[@]}"',
    '',
    '# scancel says nothing about ids Slurm has already forgotten, so look at the states to be sure.',
    'joined="$(IFS=,; echo "${ids[*]}")"',
    'sleep 1',
    'if command -v squeue >/dev/null 2>&1; then',
    '  echo "Jobs Slurm still lists (job, state, reason):"',
    '  squeue -h -t all -j "${joined}" -o \'%i %T %r\' 2>/dev/null || true',
    'fi',
    'if command -v sacct >/dev/null 2>&1; then',
    '  sacct -X -n -j "${joined}" -o JobID,State,ExitCode 2>/dev/null || true',
    'fi',
    '',
  ].join('\n');
}
