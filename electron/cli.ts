import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FluxoError, FluxoEvent, Result, RunRecord } from '../shared/api';
import type { Catalog } from '../shared/catalog';
import type { Bundle, BundleManifest, CompileOptions } from '../shared/compiler';
import { compile } from '../shared/compiler';
import { serializeDocument } from '../shared/document';
import type { Problem } from '../shared/validate';
import { validatePipeline } from '../shared/validate';
import type { ListedTarget, ProfileProblem } from '../shared/targets';
import { describeTarget, formatProfileProblem, LOCAL_TARGET_ID } from '../shared/targets';
import { createBackend, defaultHomeDir, defaultResourcesDir, FLUXO_VERSION, readDocumentFile } from './backend';
import { writeBundle } from './backend/bundleWriter';
import { describeIoError } from './backend/fsutil';
import { userTargetsDir } from './backend/paths';
import { loadCatalog, loadTargets } from './backend/resources';
import { ErrorCode, FluxoFailure } from '../shared/api';

/** Exit codes, as documented in the README. */
export const Exit = { Completed: 0, Failed: 1, InvalidInput: 2, Cancelled: 130 } as const;

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
  fluxo run FILE [--target ID] [--out DIR] [--json]
                                                 run a pipeline (default target: local)
  fluxo blocks [--json]                          list the blocks
  fluxo targets [--json]                         list where pipelines can run, with what each
                                                 profile knows and what it does not

DIR must be new or empty: nothing is ever overwritten. --account, --qos and --reservation
are the Slurm -A, --qos and --reservation of every job. Your own target profiles go in
$FLUXO_HOME/targets/*.yaml (default ~/Fluxo/targets); one with a shipped profile's id replaces it.

Exit codes: 0 completed, 1 the pipeline failed (or a file could not be written), 2 the input
was invalid, 130 cancelled.
Progress goes to stderr; --json prints one summary object on stdout.`;

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

class UsageError extends Error {}
/** Input that is wrong in itself (a folder in use, an unknown target): the message, without the usage text. */
class InputError extends Error {}

/** One line per problem: severity, code, step and field, what is wrong, and the fix. */
function formatProblem(p: Problem): string {
  const where = [p.stepId ? `step ${p.stepId}` : null, p.field ? `field ${p.field}` : null].filter(Boolean).join(', ');
  const oneLine = (t: string) => t.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return `${p.severity === 'error' ? 'error' : 'warning'} ${p.code}${where ? ` (${where})` : ''}: ${oneLine(p.message)} Fix: ${oneLine(p.fix)}`;
}

function formatError(e: FluxoError): string {
  return `fluxo: ${e.message} [${e.code}]${e.hint ? `\n  ${e.hint}` : ''}`;
}

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new FluxoFailure(r.error);
  return r.value;
}

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

function summary(run: RunRecord) {
  return {
    status: run.status,
    runId: run.id,
    runDir: run.runDir,
    pipeline: run.pipelineName,
    target: run.targetId,
    python: run.python,
    steps: run.steps.map((s) => ({ id: s.id, label: s.label, state: s.state, exitCode: s.exitCode, seconds: s.seconds })),
    outputs: run.steps.flatMap((s) =>
      s.outputs.filter((o) => o.exists).map((o) => ({ step: s.id, port: o.port, format: o.format, path: path.join(run.runDir, o.path) })),
    ),
    error: run.error,
  };
}

async function tail(file: string, lines: number): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines);
}

async function cmdRun(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { target: { type: 'string', default: LOCAL_TARGET_ID }, out: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  const opened = await loadFile(positionals[0]);
  const backend = createBackend({ hostKind: 'cli', resourcesDir: defaultResourcesDir(), homeDir: defaultHomeDir() });
  const print = (e: FluxoEvent) => {
    if (e.type !== 'run.stepChanged') return;
    const s = e.step;
    if (s.state === 'running') io.err(`> ${s.label} (${s.id}) started\n`);
    else if (s.state === 'completed') io.err(`  ${s.label} completed in ${s.seconds} s\n`);
    else if (s.state === 'failed') io.err(`x ${s.label} failed with exit code ${s.exitCode}\n`);
    else if (s.state === 'skipped') io.err(`- ${s.label} skipped (a step it needs did not complete)\n`);
  };
  const unsubscribe = backend.subscribe((batch) => batch.forEach(print));
  let started: RunRecord;
  try {
    started = unwrap(
      await backend.services.runs.start({
        document: opened.document,
        targetId: values.target ?? LOCAL_TARGET_ID,
        pipelinePath: opened.path,
        runDir: values.out ? path.resolve(values.out) : null,
      }),
    );
  } catch (e) {
    unsubscribe();
    if (!(e instanceof FluxoFailure)) throw e;
    const invalid = e.error.code === ErrorCode.PipelineInvalid;
    if (invalid && Array.isArray(e.error.details)) for (const p of e.error.details as Problem[]) io.err(`${formatProblem(p)}\n`);
    else io.err(`${formatError(e.error)}\n`);
    if (values.json) io.out(`${JSON.stringify({ status: 'failed', runDir: null, steps: [], outputs: [], error: e.error }, null, 2)}\n`);
    // A wrong pipeline, target or output folder is the user's input; a missing Python is not.
    const badInput = invalid || e.error.code === ErrorCode.UnknownTarget || e.error.code === ErrorCode.RunStorage;
    return badInput ? Exit.InvalidInput : Exit.Failed;
  }
  io.err(`Running "${started.pipelineName}" on ${started.targetId} in ${started.runDir}\n`);
  const onSignal = () => {
    io.err('Cancelling: stopping every step...\n');
    void backend.services.runs.cancel(started.id);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const run = await backend.waitForRun(started.id);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await backend.dispose();
  unsubscribe();

  if (run.status === 'completed') io.err(`Completed. Results are in ${run.runDir}\n`);
  else if (run.status === 'cancelled') io.err(`Cancelled. Partial outputs are in ${run.runDir}\n`);
  else {
    const failed = run.steps.find((s) => s.state === 'failed');
    io.err(`Failed${failed ? ` at "${failed.label}"` : ''}. Run folder: ${run.runDir}\n`);
    if (failed) {
      io.err(`Last lines of ${path.join(run.runDir, failed.log)}:\n`);
      for (const line of await tail(path.join(run.runDir, failed.log), 10)) io.err(`  | ${line}\n`);
    }
  }
  if (values.json) io.out(`${JSON.stringify(summary(run), null, 2)}\n`);
  return run.status === 'completed' ? Exit.Completed : run.status === 'cancelled' ? Exit.Cancelled : Exit.Failed;
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
