import type { PipelineDocument } from '../document';
import type { SlurmProfile, TargetProfile } from '../targets';
import { commentText } from './quote';
import { describeMinutes } from './resources';
import type { BundleManifest, ManifestStep } from './types';
import { ENV } from './types';

/**
 * README.txt of a bundle: for the person who carries it to a cluster (or runs it here) without
 * Fluxo. It says what to copy where, what to prepare, how to run, watch and cancel, and where the
 * results appear. Deterministic: no dates, no host-specific paths, so compiling twice gives the
 * same bytes.
 */

/** A folder name for the run, from the pipeline's name: lowercase letters, digits and dashes. */
export function runFolderName(pipelineName: string): string {
  const slug = pipelineName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || 'pipeline';
}

function memory(mb: number): string {
  return mb % 1024 === 0 ? `${mb / 1024} GB` : `${mb} MB`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const WIDTH = 96;

/** Breaks a line at spaces so it fits WIDTH columns; a longer word stays whole. */
function wrap(line: string, indent: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && indent.length + current.length + 1 + word.length > WIDTH) {
      out.push(`${indent}${current}`);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) out.push(`${indent}${current}`);
  return out;
}

/** Keeps a user's multi-line text readable in the README, wrapped, without control characters. */
function paragraph(text: string, indent: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((l) => commentText(l))
    .filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''))
    .flatMap((l) => (l ? wrap(l, indent) : ['']));
}

function resourcesLine(s: ManifestStep): string {
  const r = s.resources;
  const parts = [
    r.partition ? `partition ${r.partition}` : null,
    plural(r.cpus, 'CPU'),
    memory(r.memoryMb),
    describeMinutes(r.timeMinutes),
    r.gpus > 0 ? plural(r.gpus, 'GPU') : null,
    r.qos ? `QoS ${r.qos}` : null,
  ];
  return parts.filter(Boolean).join(', ');
}

/** "steps/x/task-{task}/model.joblib" -> the folder pattern a person looks in. */
function outputLines(s: ManifestStep): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const o of s.outputs) {
    const shown = s.tasks ? o.path.replace(/\/task-\d+\//, '/task-N/') : o.path;
    if (seen.has(shown)) continue;
    seen.add(shown);
    lines.push(`    ${shown}  (${o.port}, ${o.format})`);
  }
  return lines;
}

function taskPattern(path: string): string {
  return path.replace('{task}', 'N');
}

function filesSection(manifest: BundleManifest): string[] {
  const entry = manifest.entry;
  const rows: Array<[string, string]> = [];
  if (entry.submit) rows.push([entry.submit, 'submits every step to Slurm in dependency order (run this)']);
  if (entry.cancel) rows.push([entry.cancel, 'cancels the jobs of this run that are still waiting or running']);
  if (entry.run) rows.push([entry.run, 'runs every step on this computer, one after another (run this)']);
  rows.push(
    ['steps/', 'one script per step; comments in each say what it does'],
    manifest.python ? ['blocks/, lib/', "the blocks' programs and Fluxo's helpers for Python blocks"] : ['blocks/', "the blocks' programs (when they have their own)"],
    ['manifest.json', 'the plan, machine-readable: steps, resources, dependencies, outputs'],
    ['ro-crate-metadata.json', 'provenance (Workflow Run RO-Crate): pipeline, blocks, params, software'],
    ['pipeline.fluxo', 'the pipeline itself; open it in Fluxo to change it and export again'],
    ['README.txt', 'this file'],
  );
  return rows.map(([f, what]) => `  ${f.padEnd(24)}${what}`);
}

function copySection(target: SlurmProfile, run: string): string[] {
  const login = target.login.hosts[0]!;
  const copyHost = target.login.transferHost ?? login;
  const port = target.login.port === 22 ? '' : ` -p ${target.login.port}`;
  const scpPort = target.login.port === 22 ? '' : ` -P ${target.login.port}`;
  const rsyncPort = target.login.port === 22 ? '' : ` -e 'ssh -p ${target.login.port}'`;
  const lines = [
    '1. COPY THIS FOLDER TO THE CLUSTER',
    `  Runs on ${commentText(target.title)} go under ${commentText(target.storage.workRoot)}. Give this run its own folder there:`,
    `    ${run}`,
    '  and copy this bundle into it, as its "bundle" folder. The jobs write their results, logs and',
    '  job ids into the run folder, beside the bundle.',
  ];
  if (target.login.note) lines.push(...wrap(`Before connecting: ${commentText(target.login.note)}`, '  '));
  lines.push(
    '',
    '  From this computer, with USER your user name on the cluster:',
    `    ssh${port} USER@${login} 'mkdir -p "${run}" && cd "${run}" && pwd'`,
    '  That prints the full path of the run folder; use it as RUN below. Then, from this folder:',
    `    rsync -a${rsyncPort} ./ USER@${copyHost}:RUN/bundle/`,
    `  or: scp${scpPort} -r . USER@${copyHost}:RUN/bundle`,
  );
  if (target.login.transferHost) lines.push(`  (${target.login.transferHost} is the transfer host for large copies; log in to ${login} to run.)`);
  return lines;
}

function prepareSection(heading: string, manifest: BundleManifest, target: TargetProfile): string[] {
  const lines = [heading];
  const steps = manifest.steps;
  if (target.kind === 'slurm') {
    const account = manifest.account
      ? `jobs are charged to account ${manifest.account} (-A ${manifest.account}).`
      : target.account.required === false
        ? 'none is set; this site does not need one.'
        : target.account.required === 'unknown'
          ? `none is set. Whether ${commentText(target.title)} needs one is not known: if sbatch refuses the jobs, export again with --account.`
          : 'none is set.';
    lines.push(...wrap(`Account: ${account}`, '  '));
    const qos = [...new Set(steps.map((s) => s.resources.qos).filter((q): q is string => q !== null))];
    lines.push(`  QoS: ${qos.length ? qos.join(', ') : 'none is set.'}`);
    if (manifest.reservation) lines.push(`  Reservation: ${manifest.reservation} (every job asks for it).`);
  }

  const modules = [...new Set(steps.flatMap((s) => s.environment.modules))];
  if (modules.length) lines.push(`  Modules the scripts load: ${modules.join(' ')}`, '    check each exists with: module spider NAME');

  const images = new Map<string, ManifestStep['environment']>();
  for (const s of steps) if (s.environment.image && !images.has(s.environment.image)) images.set(s.environment.image, s.environment);
  if (images.size) {
    const internet = target.kind === 'slurm' ? target.internet.computeNodes : true;
    const why =
      internet === true
        ? 'Compute nodes reach the internet, so images are pulled on first use; pulling them beforehand saves each job the wait.'
        : internet === false
          ? 'Compute nodes have no internet: pull every docker:// image to a .sif file on the login node first.'
          : 'Whether compute nodes reach the internet is not known: pull every docker:// image to a .sif file on the login node first.';
    lines.push('  Container images:', ...wrap(why, '    '));
    const runtime = target.kind === 'slurm' && target.containers ? target.containers : null;
    if (runtime?.module) lines.push(`    module load ${runtime.module}`);
    lines.push(`    mkdir -p RUN/images`);
    for (const [image, env] of images) {
      if (env.pulledImage) lines.push(`    ${env.runtime ?? 'apptainer'} pull RUN/images/${env.pulledImage} ${image}`);
      else lines.push(`    ${image} must already exist on the cluster (a .sif path).`);
    }
    lines.push(`    A step uses RUN/images/<file>.sif when it exists (set ${ENV.images} to keep images elsewhere).`);
  }

  const conda = [...new Set(steps.map((s) => s.environment.conda).filter((c): c is string => c !== null))];
  if (conda.length) lines.push(`  Conda environments that must exist: ${conda.join(', ')} (check with: conda env list)`);
  const tools = [...new Set(steps.flatMap((s) => s.environment.tools))];
  if (tools.length) lines.push(`  Commands that must be on PATH: ${tools.join(', ')}`);

  const noContainer = new Set(steps.filter((s) => s.environment.kind !== 'container').map((s) => s.id));
  const py = (manifest.python?.modules ?? []).filter((m) => m.usedBy.some((id) => noContainer.has(id)));
  if (manifest.python && py.length) {
    lines.push(`  Python ${manifest.python.minVersion} or newer with these packages (pip names):`);
    for (const m of py) lines.push(`    ${m.pip}${m.apt ? ` (Debian/Ubuntu: ${m.apt})` : ''}  used by ${m.usedBy.join(', ')}`);
    lines.push(`    Another interpreter: set ${ENV.python}=/path/to/python3 before running.`);
  }
  if (lines.length === 1) lines.push('  Nothing to prepare: the steps use software installed on the machine.');
  return lines;
}

function stepLine(s: ManifestStep, i: number): string[] {
  const tasks = s.tasks ? `, job array of ${plural(s.tasks.count, 'task')}${s.tasks.maxParallel ? ` (at most ${s.tasks.maxParallel} at once)` : ''}` : '';
  const after = s.dependsOn.length ? `after ${s.dependsOn.join(', ')}` : 'first';
  return [
    `  ${String(i + 1).padStart(2, '0')} ${s.id}: ${commentText(s.label)} (block ${s.block.id} v${s.block.version})`,
    `     ${resourcesLine(s)}${tasks}; ${after}`,
    `     software: ${commentText(s.environment.description)}`,
    `     log: ${taskPattern(s.logs.out)}${s.logs.err !== s.logs.out ? `, ${taskPattern(s.logs.err)}` : ''}; exit code: ${taskPattern(s.marker)}`,
  ];
}

/** README.txt of a bundle: what to copy where and how to run it without Fluxo. */
export function renderBundleReadme(doc: PipelineDocument, manifest: BundleManifest, target: TargetProfile): string {
  const slurm = target.kind === 'slurm' ? target : null;
  const run = slurm ? `${commentText(slurm.storage.workRoot).replace(/\/+$/, '')}/${runFolderName(doc.metadata.name)}` : '';
  const e = manifest.estimate;
  const lines: string[] = [
    `${commentText(doc.metadata.name)}: a pipeline bundle made by Fluxo`,
    ...(doc.metadata.description ? ['', ...paragraph(doc.metadata.description, '')] : []),
    '',
    `Target: ${commentText(target.title)} (${target.id})${slurm?.site.name ? `, ${commentText(slurm.site.name)}` : ''}`,
    slurm
      ? 'This folder runs on the cluster without Fluxo: the scripts, the blocks and their helpers are all here.'
      : 'This folder runs without Fluxo: the scripts, the blocks and their helpers are all here.',
    '',
    'WHAT IS HERE',
    ...filesSection(manifest),
    '',
  ];

  if (slurm) {
    lines.push(...copySection(slurm, run), '', ...prepareSection('2. PREPARE', manifest, target), '');
    lines.push(
      '3. RUN',
      `  ssh${slurm.login.port === 22 ? '' : ` -p ${slurm.login.port}`} USER@${slurm.login.hosts[0]}, then:`,
      `    cd RUN/bundle && bash ${manifest.entry.submit ?? 'submit.sh'}`,
      `  It submits ${plural(e.jobs, 'job')} in dependency order and prints each job id; the ids are kept in`,
      `  RUN/${manifest.slurm?.jobs ?? 'jobs.tsv'}. Running it again only prints them: it never submits twice.`,
      `  Steps listed in RUN/${manifest.slurm?.cached ?? '.fluxo-cached'} (written by Fluxo when it put an earlier run's`,
      '  outputs in place) are not submitted; the steps after them start at once.',
      '',
      '4. WATCH',
      `  squeue -u $USER            jobs waiting or running${manifest.steps[0]?.jobName ? ` (named like ${manifest.steps[0].jobName})` : ''}`,
      '  RUN/logs/                  what each step prints: <step>.out and <step>.err',
      '                             (a job array: <step>_N.out and <step>_N.err for task N)',
      '  RUN/logs/<step>.exit       written when a step ends: 0 = completed, any other number = failed',
      '                             (a job array: <step>_N.exit for task N)',
      '  A step starts only when the steps it needs completed; if one fails, Slurm cancels what',
      '  depends on it.',
      '',
      '5. CANCEL',
      `  cd RUN/bundle && bash ${manifest.entry.cancel ?? 'cancel.sh'}`,
      '  cancels every job of this run that is still waiting or running.',
      '',
      '6. RESULTS',
      '  Each step writes into its own folder of RUN (a job array: one task-N folder per task):',
    );
  } else {
    lines.push(
      ...prepareSection('PREPARE', manifest, target),
      '',
      'RUN',
      `  bash ${manifest.entry.run ?? 'run.sh'}`,
      `  The steps run one after another. Results go to the folder above this one (set ${ENV.run}=DIR`,
      '  to put them elsewhere). Ctrl+C stops the run.',
      '',
      'WATCH',
      '  logs/<step>.log            what each step prints (a job array: <step>_N.log for task N)',
      '  logs/<step>.exit           written when a step ends: 0 = completed, any other number = failed',
      '',
      'RESULTS',
      '  Each step writes into its own folder (a job array: one task-N folder per task):',
    );
  }
  for (const s of manifest.steps) {
    lines.push(`  ${s.id}: ${commentText(s.label)}`, ...outputLines(s));
    if (s.outputs.length === 0) lines.push(`    ${s.tasks ? `steps/${s.id}/task-N/` : `steps/${s.id}/`}  (no declared outputs)`);
  }
  lines.push(
    '',
    slurm ? '7. ESTIMATE' : 'ESTIMATE',
    `  At most ${e.coreHours} core-hours and ${e.gpuHours} GPU-hours (requested CPUs and GPUs x requested time,`,
    `  every task counted): ${plural(e.jobs, 'job')}, ${plural(e.tasks, 'task')}.`,
    '',
    'STEPS',
    ...manifest.steps.flatMap(stepLine),
    '',
  );
  return lines.join('\n');
}
