/**
 * The generic blocks: Shell command, Python script, Container command, Upload data, Remote path and
 * Download results. Each runs for real with the argv its block.yaml expands to, on files made here.
 *
 * Shell command and Python script run the user's own code by design; what must hold is that the
 * user's text reaches bash (or the argument splitter) exactly as typed. Container command needs
 * Apptainer, which Debian 12 does not package: its tests put a stand-in `apptainer` on PATH that
 * records its arguments and runs the in-container command on this machine, so the argv the block
 * builds (binds, working folder, GPU flags, the command as one argument) is checked for real.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParamValue } from '../../shared/document';
import { blockOf, catalog, expandCommand, expectError, findPython, hasTool, pythonEnv } from './harness';
import type { StepRun } from './harness';

const { python, reason } = findPython(['json']);
if (!python) console.warn(`Skipping the generic block tests that need Python: ${reason}`);

/** Quotes of both kinds, $(), backticks, ;, &&, backslashes, a tab, unicode and a line that looks like an option. */
const HOSTILE = `it's "quoted" $(touch PWNED) \`touch PWNED2\` ; rm -rf / && echo no\\ \\\\n\ttab é ✓ 🧬\n--not-an-option $HOME`;

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-generic-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, text: string | Buffer): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** Runs a block as the compiler would; `stepDir` is relative to the test folder. */
function run(id: string, stepDir: string, params: Record<string, ParamValue>, inputs: Record<string, string | string[]> = {}, env: NodeJS.ProcessEnv = {}): StepRun {
  const dir = path.join(tmp, stepDir);
  fs.mkdirSync(dir, { recursive: true });
  const { argv, outputs } = expandCommand(blockOf(catalog, id), { python: python ?? 'python3', stepDir: dir, params, inputs });
  const [program, ...args] = argv;
  const result = spawnSync(program ?? '', args, { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...pythonEnv(), ...env } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs };
}

const read = (file: string) => fs.readFileSync(file, 'utf8');

describe('generic block definitions', () => {
  it('are generic, run on this computer, and say that the code blocks run your own code', () => {
    for (const id of ['shell-command', 'python-script', 'container-command', 'upload-data', 'remote-path', 'download-results']) {
      const b = blockOf(catalog, id);
      expect(b.domain, id).toBe('generic');
      expect(b.requires.cluster, id).toBe(false);
    }
    for (const id of ['shell-command', 'python-script', 'container-command']) {
      expect(blockOf(catalog, id).help, id).toMatch(/runs (your|your own) (code|command)/i);
    }
  });

  it('Download results takes any number of outputs of any kind', () => {
    const input = blockOf(catalog, 'download-results').inputs[0];
    expect(input).toMatchObject({ format: 'any', multiple: true });
  });
});

describe('shell-command', () => {
  it('hands the command to bash byte for byte and keeps a copy of what ran', () => {
    // A quoted heredoc passes its body through untouched: any change on the way shows in out.txt.
    const command = `cat > out.txt <<'FLUXO_END'\n${HOSTILE}\nFLUXO_END\nprintf '%s' "$1" > input-path.txt`;
    const input = write('shell/input data.csv', 'a,b\n');
    const r = run('shell-command', 'shell/step', { command }, { input });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const results = r.outputs.results ?? '';
    expect(read(path.join(results, 'out.txt'))).toBe(`${HOSTILE}\n`);
    expect(read(path.join(results, 'input-path.txt'))).toBe(input);
    expect(read(path.join(tmp, 'shell/step/command.sh'))).toBe(command);
    for (const dir of [results, path.join(tmp, 'shell/step'), process.cwd()]) {
      expect(fs.existsSync(path.join(dir, 'PWNED'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'PWNED2'))).toBe(false);
    }
  });

  it('runs in the results folder with FLUXO_INPUT and FLUXO_OUTPUT, and works without an input', () => {
    const r = run('shell-command', 'shell/env', { command: 'pwd > where.txt\necho "[$FLUXO_INPUT] [$#]" > env.txt' }, { input: '' });
    expect(r.status).toBe(0);
    const results = r.outputs.results ?? '';
    expect(read(path.join(results, 'where.txt')).trim()).toBe(fs.realpathSync(results));
    expect(read(path.join(results, 'env.txt'))).toBe('[] [0]\n');
  });

  it('stops at the first failing line and reports the exit status', () => {
    const r = run('shell-command', 'shell/fail', { command: 'echo before > before.txt\ngrep -q needle /dev/null | cat\necho after > after.txt' }, { input: '' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('error: the command stopped with exit status 1; its messages are above.');
    expect(fs.existsSync(path.join(r.outputs.results ?? '', 'before.txt'))).toBe(true);
    expect(fs.existsSync(path.join(r.outputs.results ?? '', 'after.txt'))).toBe(false);
  });

  it('refuses an empty command and a missing input with a plain message', () => {
    expectError(run('shell-command', 'shell/empty', { command: ' \n\t' }, { input: '' }), 'the command is empty');
    expectError(run('shell-command', 'shell/missing', { command: 'true' }, { input: path.join(tmp, 'nope') }), 'does not exist; run the step that produces it first');
  });
});

describe.skipIf(!python)('python-script', () => {
  const userScript = () => write('py/my analysis.py', [
    'import json, os, sys',
    'json.dump({"argv": sys.argv[1:], "cwd": os.getcwd(), "file": __file__,',
    '           "input": os.environ["FLUXO_INPUT"], "output": os.environ["FLUXO_OUTPUT"]},',
    '          open("seen.json", "w", encoding="utf-8"), ensure_ascii=False)',
    'print("hello from the user script")',
    'sys.exit(int(os.environ.get("EXIT_WITH", "0")))',
  ].join('\n'));

  it('splits the arguments like a shell, never runs them, and fills in {input} and {output}', () => {
    const script = userScript();
    const input = write('py/data.csv', 'x\n1\n');
    const args = `--name "two words" 'it''s' $(touch PWNED) \`id\` a\\ b --in={input} --out {output}/model.pt "é ✓"`;
    const r = run('python-script', 'py/step', { script, args }, { input });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('hello from the user script');
    const results = r.outputs.results ?? '';
    const seen = JSON.parse(read(path.join(results, 'seen.json'))) as Record<string, unknown>;
    expect(seen.argv).toEqual(['--name', 'two words', 'its', '$(touch', 'PWNED)', '`id`', 'a b', `--in=${input}`, '--out', `${results}/model.pt`, 'é ✓']);
    expect(seen).toMatchObject({ cwd: results, file: script, input, output: results });
    expect(fs.existsSync(path.join(results, 'PWNED'))).toBe(false);
  });

  it('explains unbalanced quotes, a missing script, {input} without an input, and a script that fails', () => {
    const script = userScript();
    expectError(run('python-script', 'py/quote', { script, args: `--name "open` }, { input: '' }), 'the arguments cannot be split into words (no closing quotation)');
    expectError(run('python-script', 'py/missing', { script: path.join(tmp, 'py/nope.py'), args: '' }, { input: '' }), 'nope.py" does not exist');
    expectError(run('python-script', 'py/noinput', { script, args: '{input}' }, { input: '' }), 'the arguments use {input}, but no input is connected');
    const failed = run('python-script', 'py/exit', { script, args: '' }, { input: '' }, { EXIT_WITH: '3' });
    expect(failed.status).toBe(2);
    expect(failed.stderr.trim()).toBe('error: the script "my analysis.py" stopped with exit status 3; its messages are above.');
  });
});

describe('container-command', () => {
  /** A stand-in for Apptainer: records its argv (one per line) and runs the in-container command here. */
  function standIn(): string {
    const bin = path.join(tmp, 'container-bin');
    fs.mkdirSync(bin, { recursive: true });
    const script = path.join(bin, 'apptainer');
    fs.writeFileSync(script, [
      '#!/bin/bash',
      'set -euo pipefail',
      'printf "%s\\0" "$@" > "$APPTAINER_ARGV"',
      'shift  # exec',
      'pwd_in=""',
      'while [ "$#" -gt 0 ]; do',
      '  case "$1" in',
      '    --nv|--rocm) shift ;;',
      '    --bind) shift 2 ;;',
      '    --pwd) pwd_in=$2; shift 2 ;;',
      '    *) break ;;',
      '  esac',
      'done',
      'shift  # the image',
      'cd "$pwd_in"',
      'exec "$@"',
      '',
    ].join('\n'));
    fs.chmodSync(script, 0o755);
    return bin;
  }
  const basePath = '/usr/local/bin:/usr/bin:/bin';

  it('says Apptainer is missing when neither Apptainer nor Singularity is installed', () => {
    if (hasTool('apptainer') || hasTool('singularity')) return console.warn('Apptainer is installed here: the missing-runtime message cannot be seen');
    const r = run('container-command', 'container/none', { image: 'docker://alpine:3.20', command: 'true', gpu: 'none' }, { input: '' }, { PATH: basePath });
    expectError(r, 'neither Apptainer nor Singularity is installed here');
  });

  it('passes the command as one argument to sh inside the image, binding the results and the input', () => {
    const bin = standIn();
    const argvFile = path.join(tmp, 'container-argv');
    const target = write('container/real data/reads.txt', 'ACGT\n');
    const input = path.join(tmp, 'container/link-to-data');
    fs.symlinkSync(path.dirname(target), input);
    const command = `cat > out.txt <<'FLUXO_END'\n${HOSTILE}\nFLUXO_END\nls "$1" > listing.txt`;
    const r = run('container-command', 'container/step', { image: 'docker://biocontainers/samtools:v1.9-4-deb_cv1', command, gpu: 'none' }, { input }, { PATH: `${bin}:${basePath}`, APPTAINER_ARGV: argvFile });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const results = r.outputs.results ?? '';
    expect(read(path.join(results, 'out.txt'))).toBe(`${HOSTILE}\n`);
    expect(read(path.join(results, 'listing.txt'))).toBe('reads.txt\n');
    expect(read(path.join(tmp, 'container/step/command.sh'))).toBe(command);
    const argv = read(argvFile).split('\0').slice(0, -1);
    expect(argv).toEqual([
      'exec',
      '--bind', results,
      '--bind', input,
      '--bind', path.dirname(target),
      '--pwd', results,
      'docker://biocontainers/samtools:v1.9-4-deb_cv1',
      '/bin/sh', '-e', '-c', command, 'container-command', input,
    ]);
  });

  it('refuses an image that is neither docker:// nor an existing .sif, and a failing command reports its status', () => {
    const bin = standIn();
    const env = { PATH: `${bin}:${basePath}`, APPTAINER_ARGV: path.join(tmp, 'container-argv-2') };
    expectError(run('container-command', 'container/bad', { image: 'alpine', command: 'true', gpu: 'none' }, { input: '' }, env), '"Image" must be docker://NAME:TAG or the full path of a .sif file');
    expectError(run('container-command', 'container/nosif', { image: path.join(tmp, 'missing.sif'), command: 'true', gpu: 'none' }, { input: '' }, env), 'missing.sif" does not exist on this machine');
    const failed = run('container-command', 'container/fail', { image: 'docker://alpine:3.20', command: 'exit 4', gpu: 'none' }, { input: '' }, env);
    expect(failed.status).toBe(4);
    expect(failed.stderr.trim()).toBe('error: the command in the container stopped with exit status 4; its messages are above.');
  });
});

describe.skipIf(!python)('upload-data', () => {
  it('copies a file into a folder under its own name, byte for byte', () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0x89, 0x50]);
    const file = write('upload/src/scan 01.nii', bytes);
    const r = run('upload-data', 'upload/file', { kind: 'file', file, folder: '' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const data = r.outputs.data ?? '';
    expect(fs.readdirSync(data)).toEqual(['scan 01.nii']);
    expect(fs.readFileSync(path.join(data, 'scan 01.nii')).equals(bytes)).toBe(true);
    expect(r.stdout).toContain('Copied 1 file (8 bytes)');
  });

  it('copies a folder with its subfolders, following links inside it, and leaves no partial copy', () => {
    write('upload/series/a.dcm', 'one');
    write('upload/series/sub/b.dcm', 'two');
    const outside = write('upload/outside.txt', 'linked');
    fs.symlinkSync(outside, path.join(tmp, 'upload/series/link.txt'));
    const r = run('upload-data', 'upload/folder', { kind: 'folder', file: '', folder: path.join(tmp, 'upload/series') });
    expect(r.status).toBe(0);
    const data = r.outputs.data ?? '';
    expect(fs.readdirSync(data).sort()).toEqual(['a.dcm', 'link.txt', 'sub']);
    expect(fs.lstatSync(path.join(data, 'link.txt')).isSymbolicLink()).toBe(false);
    expect(read(path.join(data, 'link.txt'))).toBe('linked');
    expect(read(path.join(data, 'sub/b.dcm'))).toBe('two');
    expect(fs.readdirSync(path.dirname(data))).toEqual(['data']);
  });

  it('explains a missing file, a file given as a folder, and a run folder inside the upload', () => {
    expectError(run('upload-data', 'upload/missing', { kind: 'file', file: path.join(tmp, 'upload/none.csv'), folder: '' }), 'none.csv" does not exist; choose an existing file');
    const file = write('upload/just-a-file.csv', 'x\n');
    expectError(run('upload-data', 'upload/kind', { kind: 'folder', file: '', folder: file }), '(it is a file: set Upload to file)');
    expectError(run('upload-data', 'upload/self', { kind: 'folder', file: '', folder: path.join(tmp, 'upload') }), 'would copy the run into itself');
  });
});

describe.skipIf(!python)('remote-path', () => {
  it('links a file into a folder under its own name, and a folder as itself, expanding $VARIABLES', () => {
    const file = write('remote/store/train.jsonl', '{"prompt": "a"}\n');
    const env = { FLUXO_TEST_STORE: path.join(tmp, 'remote/store') };
    const r = run('remote-path', 'remote/file', { path: '$FLUXO_TEST_STORE/train.jsonl' }, {}, env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const link = path.join(r.outputs.data ?? '', 'train.jsonl');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(link)).toBe(fs.realpathSync(file));
    const folder = run('remote-path', 'remote/folder', { path: '${FLUXO_TEST_STORE}' }, {}, env);
    expect(folder.status).toBe(0);
    expect(fs.readlinkSync(folder.outputs.data ?? '')).toBe(fs.realpathSync(path.join(tmp, 'remote/store')));
    expect(fs.readdirSync(folder.outputs.data ?? '')).toEqual(['train.jsonl']);
  });

  it('explains a missing path, an unset variable and a relative path', () => {
    expectError(run('remote-path', 'remote/missing', { path: path.join(tmp, 'remote/none') }), 'does not exist on the machine the step runs on');
    expectError(run('remote-path', 'remote/unset', { path: '$FLUXO_NO_SUCH_VARIABLE/data' }), '"Path" uses $FLUXO_NO_SUCH_VARIABLE, which is not set');
    expectError(run('remote-path', 'remote/relative', { path: 'data/train.jsonl' }), '"Path" must be a full path');
    expectError(run('remote-path', 'remote/empty', { path: '  ' }), '"Path" is empty');
  });
});

describe.skipIf(!python)('download-results', () => {
  it('gathers outputs under their step names, keeps sweep task folders, and links instead of copying', () => {
    const run_ = path.join(tmp, 'download/run');
    const model0 = write('download/run/steps/train/task-0/model.joblib', 'model zero');
    const model1 = write('download/run/steps/train/task-1/model.joblib', 'model one');
    const metrics = write('download/run/steps/evaluate/metrics.json', '{"accuracy": 0.9}\n');
    write('download/run/steps/upload/data/a.csv', 'x\n');
    const elsewhere = write('download/elsewhere/notes.txt', 'kept');
    const r = run('download-results', 'download/run/steps/download', {}, { results: [model0, model1, metrics, path.join(run_, 'steps/upload/data'), elsewhere] });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.outputs.results ?? '';
    expect(read(path.join(out, 'train/task-0/model.joblib'))).toBe('model zero');
    expect(read(path.join(out, 'train/task-1/model.joblib'))).toBe('model one');
    expect(read(path.join(out, 'upload/data/a.csv'))).toBe('x\n');
    expect(read(path.join(out, '05-notes.txt'))).toBe('kept');
    expect(fs.statSync(path.join(out, 'evaluate/metrics.json')).ino).toBe(fs.statSync(metrics).ino);
    const contents = JSON.parse(read(path.join(out, 'contents.json'))) as Array<{ path: string; from: string }>;
    expect(contents.map((c) => c.path)).toEqual(['train/task-0/model.joblib', 'train/task-1/model.joblib', 'evaluate/metrics.json', 'upload/data', '05-notes.txt']);
    expect(contents[2]?.from).toBe(metrics);
    expect(r.stdout).toContain('Gathered 5 outputs');
  });

  it('says what to connect when nothing is, and names an output that is missing', () => {
    expectError(run('download-results', 'download/empty', {}, { results: [] }), 'nothing is connected');
    expectError(run('download-results', 'download/missing', {}, { results: [path.join(tmp, 'nope.csv')] }), 'nope.csv" does not exist');
    expect(fs.existsSync(path.join(tmp, 'download/missing/results.partial'))).toBe(false);
  });
});
