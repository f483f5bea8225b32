import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FluxoError, FluxoEvent, Result, RunRecord } from '../shared/api';
import type { Catalog } from '../shared/catalog';
import { compile } from '../shared/compiler';
import type { Problem } from '../shared/validate';
import { validatePipeline } from '../shared/validate';
import { LOCAL_TARGET_ID } from '../shared/targets';
import { createBackend, defaultHomeDir, defaultResourcesDir, FLUXO_VERSION, readDocumentFile } from './backend';
import { writeBundle } from './backend/bundleWriter';
import { loadCatalog, loadTargets } from './backend/resources';
import { ErrorCode, FluxoFailure } from '../shared/api';

/** Exit codes, as documented in the README. */
export const Exit = { Completed: 0, Failed: 1, InvalidInput: 2, Cancelled: 130 } as const;

const USAGE = `Fluxo ${FLUXO_VERSION}: visual health-AI pipelines, from the command line.

Usage:
  fluxo validate FILE [--json]                   check a .fluxo pipeline
  fluxo compile FILE --target ID --out DIR       write the scripts a pipeline compiles to
  fluxo run FILE [--target ID] [--out DIR] [--json]
                                                 run a pipeline (default target: local)
  fluxo blocks [--json]                          list the blocks
  fluxo targets [--json]                         list where pipelines can run

Exit codes: 0 completed, 1 the pipeline failed, 2 the input was invalid, 130 cancelled.
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

function formatProblem(p: Problem): string {
  const where = [p.stepId ? `step ${p.stepId}` : null, p.field ? `field ${p.field}` : null].filter(Boolean).join(', ');
  return `${p.severity === 'error' ? 'error' : 'warning'} ${p.code}${where ? ` (${where})` : ''}: ${p.message}\n    fix: ${p.fix}`;
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

async function findTarget(id: string) {
  const { targets } = await loadTargets(path.join(defaultResourcesDir(), 'targets'));
  const target = targets.find((t) => t.id === id);
  if (!target) throw new UsageError(`there is no target "${id}"; known targets: ${targets.map((t) => t.id).join(', ')}`);
  return target;
}

async function cmdCompile(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { target: { type: 'string' }, out: { type: 'string' } },
    allowPositionals: true,
  });
  if (!values.target) throw new UsageError('missing --target ID (see "fluxo targets")');
  if (!values.out) throw new UsageError('missing --out DIR: the folder to write the scripts to');
  const opened = await loadFile(positionals[0]);
  const resources = defaultResourcesDir();
  const catalog = await loadCatalog(path.join(resources, 'blocks'));
  const result = compile(opened.document, catalog, await findTarget(values.target));
  if (!result.ok) {
    for (const p of result.problems) io.err(`${formatProblem(p)}\n`);
    return Exit.InvalidInput;
  }
  const out = path.resolve(values.out);
  const existing = await fs.readdir(out).catch(() => []);
  if (existing.length > 0) throw new UsageError(`${out} is not empty; choose a new or empty folder so nothing is overwritten`);
  // The same layout as a run folder: DIR/bundle holds the scripts, outputs land in DIR/steps.
  const bundleDir = path.join(out, 'bundle');
  await writeBundle(result.bundle, bundleDir, resources);
  io.err(`wrote ${result.bundle.files.length + result.bundle.assets.length} files to ${bundleDir}; run them with: bash ${path.join(bundleDir, 'run.sh')}\n`);
  return Exit.Completed;
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

async function cmdTargets(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const { targets, problems } = await loadTargets(path.join(defaultResourcesDir(), 'targets'));
  if (values.json) io.out(`${JSON.stringify(targets, null, 2)}\n`);
  else for (const t of targets) io.out(`${t.id.padEnd(16)} ${t.title}: ${t.description}\n`);
  for (const p of problems) io.err(`warning: ${p.file}: ${p.message}\n`);
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
        return await cmdCompile(rest, io);
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
    if (e instanceof FluxoFailure) {
      io.err(`${formatError(e.error)}\n`);
      return Exit.InvalidInput;
    }
    throw e;
  }
}
