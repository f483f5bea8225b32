import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Catalog } from '../shared/catalog';
import type { Bundle, BundleManifest, CompileOptions } from '../shared/compiler';
import { compile } from '../shared/compiler';
import { serializeDocument } from '../shared/document';
import { validatePipeline } from '../shared/validate';
import type { ListedTarget, ProfileProblem } from '../shared/targets';
import { describeTarget, formatProfileProblem } from '../shared/targets';
import { defaultResourcesDir, FLUXO_VERSION, readDocumentFile } from './backend';
import { writeBundle } from './backend/bundleWriter';
import { describeIoError } from './backend/fsutil';
import { userTargetsDir } from './backend/paths';
import { loadCatalog, loadTargets } from './backend/resources';
import { FluxoFailure } from '../shared/api';
import type { Io } from './cliCommon';
import { Exit, formatError, formatProblem, InputError, stdio, UsageError } from './cliCommon';
import { cmdCancel, cmdFetch, cmdLogs, cmdRerun, cmdRun, cmdRuns, cmdStatus } from './cliRuns';
import { cmdTargetsImport, cmdTargetsTest } from './cliTargets';


const USAGE = `Fluxo ${FLUXO_VERSION}: visual health-AI pipelines, from the command line.

Usage:
  fluxo validate FILE [--json]                   check a .fluxo pipeline
  fluxo compile FILE --target ID --out DIR [--account A] [--qos Q] [--reservation R] [--json]
                                                 write the scripts a pipeline compiles to into
                                                 DIR/bundle (outputs of a run land in DIR)
  fluxo export FILE --target ID --out DIR [--account A] [--qos Q] [--reservation R] [--json]
                                                 write a standalone bundle into DIR: copy it to the
                                                 cluster and run "bash submit.sh" (or "bash run.sh"
                                                 for this computer); DIR/README.txt says how
  fluxo run FILE [--target ID] [--out DIR] [--account A] [--qos Q] [--reservation R]
           [--no-cache] [--checksum] [--accept-host-key SHA256:...] [--json]
                                                 run a pipeline (default target: local); on a
                                                 cluster: upload, submit, watch, download
                                                 (--checksum: confirm unchanged files by sha256)
  fluxo runs [--json]                            the runs so far, newest first
  fluxo status RUN [--wait] [--json]             a run's steps, jobs and states; --wait follows a
                                                 cluster run to its end (picking it up again)
  fluxo logs RUN STEP [--task N] [--follow]      a step's log (--follow: as it is written)
  fluxo cancel RUN                               cancel a run and confirm its jobs stopped
  fluxo fetch RUN                                download every file of a cluster run
  fluxo rerun RUN [--from STEP] [--memory MB] [--time MIN] [--gpus N] [--cpus N]
                                                 run again from the failed step (or STEP),
                                                 reusing finished steps; resources of STEP changed
  fluxo targets import HOST --like PROFILE [--id ID]
                                                 your own profile for a Host of ~/.ssh/config,
                                                 with the partitions and software of PROFILE
  fluxo targets test ID [--accept-host-key SHA256:...]
                                                 log in, check the host key, Slurm, partitions
                                                 and that the work root is writable
  fluxo blocks [--json]                          list the blocks
  fluxo targets [--json]                         list where pipelines can run, with what each
                                                 profile knows and what it does not

DIR must be new or empty: nothing is ever overwritten. --account, --qos and --reservation
are the Slurm -A, --qos and --reservation of every job. Your own target profiles go in
$FLUXO_HOME/targets/*.yaml (default ~/Fluxo/targets); one with a shipped profile's id replaces it.

Exit codes: 0 completed, 1 the pipeline failed (or a file could not be written), 2 the input
was invalid, 130 cancelled.
Progress goes to stderr; --json prints one summary object on stdout.`;






async function loadFile(file: string | undefined) {
  if (!file) throw new UsageError('missing FILE: the .fluxo pipeline to use');
  return readDocumentFile(path.resolve(file));
}

async function cmdValidate(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
  const opened = await loadFile(positionals[0]);
  const catalog = await loadCatalog(path.join(defaultResourcesDir(), 'blocks'));
  const problems = validatePipeline(opened.document, catalog);
  const errors = problems.filter((p) => p.severity === 'error');
  if (values.json) io.out(`${JSON.stringify({ valid: errors.length === 0, problems }, null, 2)}\n`);
  for (const p of problems) io.err(`${formatProblem(p)}\n`);
  if (errors.length === 0) io.err(`${positionals[0]}: valid (${opened.document.steps.length} steps)\n`);
  return errors.length === 0 ? Exit.Completed : Exit.InvalidInput;
}

/** The shipped profiles and the user's own (<FLUXO_HOME>/targets), a user profile replacing a shipped one. */
async function listTargets() {
  return loadTargets(path.join(defaultResourcesDir(), 'targets'), userTargetsDir());
}

function printProfileProblems(problems: ProfileProblem[], io: Io): void {
  for (const p of problems) io.err(`warning: target profile ${formatProfileProblem(p)}\n`);
}

async function findTarget(id: string, io: Io) {
  const { listed, problems } = await listTargets();
  // A broken profile file may be the reason the target is missing or is the shipped one.
  printProfileProblems(problems, io);
  const found = listed.find((t) => t.profile.id === id);
  if (!found) throw new InputError(`there is no target "${id}"; known targets: ${listed.map((t) => t.profile.id).join(', ')} (see "fluxo targets")`);
  return found;
}

/** Whether `dir` can receive a bundle: absent, or an empty folder. Never overwrite a user's files. */
async function checkOutDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new InputError(`${dir} is a file; give --out a new or empty folder`);
    throw new InputError(`cannot use ${dir}: ${describeIoError(e)}`);
  }
  if (entries.length > 0) throw new InputError(`${dir} is not empty; choose a new or empty folder so nothing is overwritten`);
}

/**
 * Writes the bundle into a hidden folder beside `out` and renames it into place, so `out` either
 * holds a whole bundle or does not exist: an interrupted or failed write never leaves half of one.
 */
async function writeOutDir(bundle: Bundle, out: string, layout: 'run-folder' | 'bundle', resourcesDir: string): Promise<void> {
  const parent = path.dirname(out);
  await fs.mkdir(parent, { recursive: true });
  const partial = await fs.mkdtemp(path.join(parent, `.${path.basename(out)}.partial-`));
  try {
    await writeBundle(bundle, layout === 'bundle' ? partial : path.join(partial, 'bundle'), resourcesDir);
    // An empty folder given as --out is replaced by the finished one (rename cannot replace a folder everywhere).
    await fs.rmdir(out).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await fs.rename(partial, out);
  } catch (e) {
    await fs.rm(partial, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

function estimateLine(m: BundleManifest): string {
  const e = m.estimate;
  return `Estimate: at most ${e.coreHours} core-hours and ${e.gpuHours} GPU-hours; ${e.jobs} ${e.jobs === 1 ? 'job' : 'jobs'}, ${e.tasks} ${e.tasks === 1 ? 'task' : 'tasks'}.`;
}

/**
 * `compile` and `export` write the same bundle. compile keeps the run-folder layout of a run
 * (DIR/bundle, outputs in DIR); export puts the bundle itself in DIR, to be carried to a cluster.
 */
async function cmdCompile(args: string[], io: Io, mode: 'compile' | 'export'): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      target: { type: 'string' },
      out: { type: 'string' },
      account: { type: 'string' },
      qos: { type: 'string' },
      reservation: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new UsageError(`${mode} takes one FILE; got ${positionals.length}: ${positionals.join(' ')}`);
  if (!values.target) throw new UsageError('missing --target ID (see "fluxo targets")');
  if (!values.out) throw new UsageError(`missing --out DIR: the new or empty folder to write the ${mode === 'export' ? 'bundle' : 'scripts'} to`);
  const out = path.resolve(values.out);
  const opened = await loadFile(positionals[0]);
  await checkOutDir(out);
  const target = await findTarget(values.target, io);
  const resources = defaultResourcesDir();
  const catalog = await loadCatalog(path.join(resources, 'blocks'));
  const options: CompileOptions = { account: values.account ?? null, qos: values.qos ?? null, reservation: values.reservation ?? null };
  const result = compile(opened.document, catalog, target.profile, options);
  const report = (extra: Record<string, unknown>) => {
    if (values.json) io.out(`${JSON.stringify({ target: target.profile.id, targetSource: target.source, ...extra }, null, 2)}\n`);
  };
  if (!result.ok) {
    for (const p of result.problems) io.err(`${formatProblem(p)}\n`);
    const errors = result.problems.filter((p) => p.severity === 'error').length;
    io.err(`${positionals[0]}: ${errors} ${errors === 1 ? 'problem' : 'problems'} for ${target.profile.title} (${target.profile.id}); nothing was written.\n`);
    report({ ok: false, out: null, problems: result.problems });
    return Exit.InvalidInput;
  }
  for (const w of result.warnings) io.err(`${formatProblem(w)}\n`);

  const bundle = withPipelineFile(result.bundle, serializeDocument(opened.document));
  try {
    await writeOutDir(bundle, out, mode === 'export' ? 'bundle' : 'run-folder', resources);
  } catch (e) {
    const where = (e as NodeJS.ErrnoException).path;
    io.err(`fluxo: could not write ${out}: ${describeIoError(e)}${where && where !== out ? ` (${where})` : ''}. Nothing was left behind; free some space or choose another folder.\n`);
    report({ ok: false, out: null, error: describeIoError(e) });
    return Exit.Failed;
  }
  const bundleDir = mode === 'export' ? out : path.join(out, 'bundle');
  const m = bundle.manifest;
  const count = bundle.files.length + bundle.assets.length;
  io.err(`Wrote ${count} files for ${target.profile.title} (${target.profile.id}) to ${bundleDir}\n${estimateLine(m)}\n`);
  if (m.entry.submit) {
    io.err(`Next: copy ${bundleDir} to the cluster and run: bash ${m.entry.submit} (${path.join(bundleDir, 'README.txt')} says where and how).\n`);
  } else if (m.entry.run) {
    io.err(`Run it with: bash ${path.join(bundleDir, m.entry.run)}${mode === 'export' ? ' (outputs go to the folder above it)' : ''}\n`);
  }
  report({ ok: true, out, bundleDir, estimate: m.estimate, warnings: result.warnings, files: [...bundle.files.map((f) => f.path), ...bundle.assets.map((a) => a.path)].sort() });
  return Exit.Completed;
}

/**
 * The crate names pipeline.fluxo as the workflow and the README tells people to open it, so the
 * bundle carries the exact document it was compiled from.
 */
function withPipelineFile(bundle: Bundle, text: string): Bundle {
  if (bundle.files.some((f) => f.path === 'pipeline.fluxo')) return bundle;
  const files = [...bundle.files, { path: 'pipeline.fluxo', content: text, executable: false }].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ...bundle, files };
}

async function cmdBlocks(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const catalog: Catalog = await loadCatalog(path.join(defaultResourcesDir(), 'blocks'));
  if (values.json) io.out(`${JSON.stringify(catalog, null, 2)}\n`);
  else {
    for (const b of catalog.blocks) {
      const ins = b.inputs.map((p) => `${p.id}:${p.format}`).join(', ') || '-';
      const outs = b.outputs.map((p) => `${p.id}:${p.format}`).join(', ') || '-';
      io.out(`${b.id.padEnd(22)} ${b.category.padEnd(11)} ${b.title}\n${''.padEnd(34)} in: ${ins}\n${''.padEnd(34)} out: ${outs}\n`);
    }
  }
  for (const p of catalog.problems) io.err(`warning: ${p.file}${p.field ? ` (${p.field})` : ''}: ${p.message}\n`);
  return Exit.Completed;
}

function listedJson(t: ListedTarget) {
  return { id: t.profile.id, source: t.source, file: t.file, overrides: t.overrides, profile: t.profile };
}

async function cmdTargets(args: string[], io: Io): Promise<number> {
  if (args[0] === 'test') return cmdTargetsTest(args.slice(1), io);
  if (args[0] === 'import') return cmdTargetsImport(args.slice(1), io);
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const { listed, problems } = await listTargets();
  if (values.json) io.out(`${JSON.stringify({ targets: listed.map(listedJson), problems }, null, 2)}\n`);
  else io.out(`${listed.map((t) => describeTarget(t).join('\n')).join('\n\n')}\n`);
  printProfileProblems(problems, io);
  if (!values.json) io.err(`Your own profiles: ${userTargetsDir()}/*.yaml (a profile with a shipped id replaces it).\n`);
  return Exit.Completed;
}

/** Entry point: returns the exit code (bin/fluxo.cjs sets it). */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await cmdValidate(rest, io);
      case 'compile':
        return await cmdCompile(rest, io, 'compile');
      case 'export':
        return await cmdCompile(rest, io, 'export');
      case 'run':
        return await cmdRun(rest, io);
      case 'rerun':
        return await cmdRerun(rest, io);
      case 'runs':
        return await cmdRuns(rest, io);
      case 'status':
        return await cmdStatus(rest, io);
      case 'logs':
        return await cmdLogs(rest, io);
      case 'cancel':
        return await cmdCancel(rest, io);
      case 'fetch':
        return await cmdFetch(rest, io);
      case 'blocks':
        return await cmdBlocks(rest, io);
      case 'targets':
        return await cmdTargets(rest, io);
      case '--version':
      case '-v':
        io.out(`${FLUXO_VERSION}\n`);
        return Exit.Completed;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(`${USAGE}\n`);
        return command === undefined ? Exit.InvalidInput : Exit.Completed;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`fluxo: ${e.message}\n\n${USAGE}\n`);
      return Exit.InvalidInput;
    }
    if (e instanceof InputError) {
      io.err(`fluxo: ${e.message}\n`);
      return Exit.InvalidInput;
    }
    if (e instanceof FluxoFailure) {
      io.err(`${formatError(e.error)}\n`);
      return Exit.InvalidInput;
    }
    throw e;
  }
}
