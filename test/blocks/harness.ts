/**
 * Shared helpers for the block tests (test/blocks/*.test.ts): load the shipped catalog, expand a
 * block's argv template exactly as the compiler does, run a block script for real, and read what
 * it wrote. Each block domain has its own test file; blocks.test.ts checks every definition.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { BlockDefinition, BlockSource, Catalog } from '../../shared/catalog';
import { buildCatalog, defaultParams, findBlock, parseTemplateArg } from '../../shared/catalog';
import type { ParamValue } from '../../shared/document';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BLOCKS_DIR = path.join(ROOT, 'resources', 'blocks');
export const EXAMPLES_DIR = path.join(ROOT, 'resources', 'examples');
export const EXAMPLE_FILE = path.join(EXAMPLES_DIR, 'breast-cancer-classifier.fluxo');
/** Fluxo's Python helpers, shipped in every bundle at lib/python and importable as `fluxo_block`. */
export const RUNTIME_DIR = path.join(ROOT, 'resources', 'runtime', 'python');
export const RUNTIME_FILE = path.join(RUNTIME_DIR, 'fluxo_block.py');
export const DEFINITION = 'block.yaml';

/** Third-party modules a block script may import; everything else it imports must be standard library. */
export const THIRD_PARTY = new Set(['joblib', 'matplotlib', 'numpy', 'pandas', 'sklearn', 'scipy', 'skimage', 'xgboost', 'torch', 'pydicom', 'nibabel', 'PIL', 'transformers', 'datasets', 'vllm', 'accelerate', 'peft', 'monai', 'pysam']);
export const STDLIB = new Set(['csv', 'shutil', 'shlex', 'subprocess', 'unicodedata', 'argparse', 'base64', 'datetime', 'html', 'json', 'math', 'os', 're', 'sys', 'tempfile', 'warnings']);
/** Modules every bundle ships itself (lib/python); a block imports them without declaring them. */
export const RUNTIME_MODULES = new Set(['fluxo_block']);
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function loadSources(): BlockSource[] {
  return fs
    .readdirSync(BLOCKS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const folder = path.join(BLOCKS_DIR, d.name);
      return {
        folder: d.name,
        file: DEFINITION,
        text: fs.readFileSync(path.join(folder, DEFINITION), 'utf8'),
        siblings: fs.readdirSync(folder).filter((name) => name !== DEFINITION),
      };
    });
}

export function blockOf(catalog: Catalog, id: string): BlockDefinition {
  const block = findBlock(catalog, id);
  if (!block) throw new Error(`block ${id} is missing from the catalog`);
  return block;
}

/**
 * Top-level module names a Python script imports: anywhere in the file, or with `moduleLevelOnly`
 * only the unindented imports that run when the module is loaded.
 */
export function pythonImports(source: string, moduleLevelOnly = false): Set<string> {
  const found = new Set<string>();
  const pattern = moduleLevelOnly
    ? /^(?:import\s+([A-Za-z_][\w.]*)|from\s+([A-Za-z_][\w.]*)\s+import\b)/gm
    : /^\s*(?:import\s+([A-Za-z_][\w.]*)|from\s+([A-Za-z_][\w.]*)\s+import\b)/gm;
  for (const m of source.matchAll(pattern)) {
    const name = (m[1] ?? m[2] ?? '').split('.')[0];
    if (name && name !== '__future__') found.add(name);
  }
  return found;
}

/** Flags (`--name`) in an argv template, from both `--name` and `--name={{...}}` elements. */
export function templateFlags(command: readonly string[]): string[] {
  return command.filter((arg) => arg.startsWith('--')).map((arg) => arg.split('=')[0] ?? arg);
}

export function paramText(value: ParamValue): string {
  return typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value);
}

export interface Expansion {
  python: string;
  stepDir: string;
  params?: Record<string, ParamValue>;
  /**
   * Connected inputs: port id → absolute file path. Unconnected ones expand to "". A `multiple`
   * input takes a list: its template element becomes one argument per path, as the compiler does.
   */
  inputs?: Record<string, string | string[]>;
}

/** Expands a block's argv template the way the compiler does: every value is one argv element. */
export function expandCommand(block: BlockDefinition, e: Expansion): { argv: string[]; outputs: Record<string, string> } {
  const params = { ...defaultParams(block), ...(e.params ?? {}) };
  const outputs = Object.fromEntries(block.outputs.map((o) => [o.id, path.join(e.stepDir, o.path)]));
  const argv = block.command.flatMap((arg) => {
    const parsed = parseTemplateArg(arg);
    if (!parsed.ok) throw new Error(parsed.message);
    const many = parsed.parts.find((p) => p.kind === 'input' && Array.isArray(e.inputs?.[p.id]));
    if (many && many.kind === 'input') return e.inputs![many.id] as string[];
    return [parsed.parts
      .map((part) => {
        switch (part.kind) {
          case 'text':
            return part.text;
          case 'python':
            return e.python;
          case 'block':
            return path.join(BLOCKS_DIR, block.id);
          case 'outdir':
            return e.stepDir;
          case 'param': {
            const value = params[part.id];
            return value === undefined ? '' : paramText(value);
          }
          case 'input':
            return (e.inputs?.[part.id] as string | undefined) ?? '';
          case 'output':
            return outputs[part.id] ?? '';
        }
      })
      .join('')];
  });
  return { argv, outputs };
}

export interface StepRun {
  status: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

/**
 * The environment of a Python step: Fluxo's helpers first on PYTHONPATH, as a bundle's step script
 * sets it. No bytecode, so the tests leave no __pycache__ in resources/runtime/python.
 */
export function pythonEnv(): NodeJS.ProcessEnv {
  const inherited = process.env.PYTHONPATH;
  return {
    ...process.env,
    PYTHONPATH: inherited ? `${RUNTIME_DIR}${path.delimiter}${inherited}` : RUNTIME_DIR,
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

export function runBlock(block: BlockDefinition, e: Expansion, timeoutMs = 60_000): StepRun {
  fs.mkdirSync(e.stepDir, { recursive: true });
  const { argv, outputs } = expandCommand(block, e);
  const [program, ...args] = argv;
  if (!program) throw new Error(`${block.id} has an empty command`);
  const result = spawnSync(program, args, { cwd: e.stepDir, encoding: 'utf8', timeout: timeoutMs, env: pythonEnv() });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs };
}

/**
 * A Python that can import every listed module: FLUXO_PYTHON when set, else /usr/bin/python3, else
 * python3 on PATH. Without one, a test file skips its script tests and prints `reason`.
 */
export function findPython(modules: readonly string[] = ['sklearn', 'pandas', 'numpy', 'matplotlib', 'joblib']): { python: string | null; reason: string } {
  const candidates = process.env.FLUXO_PYTHON ? [process.env.FLUXO_PYTHON] : ['/usr/bin/python3', 'python3'];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8', timeout: 60_000 });
    if (probe.status === 0) return { python: candidate, reason: '' };
  }
  return { python: null, reason: `no Python that imports ${modules.join(', ')} among ${candidates.join(', ')} (set FLUXO_PYTHON)` };
}

/** Whether a command-line tool (fastp, bwa, ...) is on PATH; tests that need it skip with a reason otherwise. */
export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { encoding: 'utf8' }).status === 0;
}

/** The catalog of the shipped blocks, loaded as the app loads it. */
export const catalog = buildCatalog(loadSources());

/** Minimal CSV reader for the tables the blocks write (no quoted fields in these datasets). */
export function readCsv(file: string): { header: string[]; rows: string[][] } {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const [head, ...rest] = lines;
  return { header: (head ?? '').split(','), rows: rest.map((l) => l.split(',')) };
}

export function column(table: { header: string[]; rows: string[][] }, name: string): string[] {
  const i = table.header.indexOf(name);
  if (i < 0) throw new Error(`no column ${name}`);
  return table.rows.map((r) => r[i] ?? '');
}

export function share(values: string[], of: string): number {
  return values.filter((v) => v === of).length / values.length;
}

export function expectError(run: Pick<StepRun, 'status' | 'stderr'>, mentions: string): void {
  expect(run.status).toBe(2);
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toContain(mentions);
  expect(run.stderr).not.toContain('Traceback');
}

