/**
 * The language-model blocks: Fine-tune language model (llm-finetune), Batch inference
 * (llm-batch-inference), Evaluate answers (llm-evaluate), and the LLM example pipeline.
 *
 * Fine-tuning and inference need transformers/peft and vLLM on a cluster GPU, which this machine
 * does not have (and nothing may be downloaded here). So their scripts are checked the ways that
 * can run here, all for real: they compile; the argv their block.yaml expands to reaches them
 * intact; run with this Python they check the data first and then stop with one line naming the
 * missing module and the containers that have it; and their data preparation (reading and checking
 * records, prompt formats, token labels and truncation, padding, model folder and offline mode) is
 * imported from the scripts and run on small data. Evaluate answers runs everywhere and is run whole.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_VERSION, parseDocument, serializeDocument } from '../../shared/document';
import type { ParamValue } from '../../shared/document';
import { validatePipeline } from '../../shared/validate';
import { BLOCKS_DIR, EXAMPLES_DIR, blockOf, catalog, expandCommand, expectError, findPython, pythonEnv, readCsv, runBlock } from './harness';
import type { StepRun } from './harness';

const LLM_BLOCKS = ['llm-finetune', 'llm-batch-inference', 'llm-evaluate'] as const;
const SCRIPTS: Record<string, string> = {
  'llm-finetune': 'llm_finetune.py',
  'llm-batch-inference': 'llm_batch_inference.py',
  'llm-evaluate': 'llm_evaluate.py',
};
const EXAMPLE = path.join(EXAMPLES_DIR, 'llm-finetune.fluxo');

const { python, reason } = findPython(['json']);
if (!python) console.warn(`Skipping the language-model script tests: ${reason}`);

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-language-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const scriptPath = (id: string) => path.join(BLOCKS_DIR, id, SCRIPTS[id] ?? '');

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const jsonl = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** A model folder as huggingface-cli download leaves it (only config.json matters before loading). */
function modelFolder(name: string): string {
  const folder = path.join(tmp, name);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'config.json'), '{"model_type": "qwen2"}\n');
  return folder;
}

function run(id: string, step: string, params: Record<string, ParamValue>, inputs: Record<string, string | string[]>, env: NodeJS.ProcessEnv = {}): StepRun {
  const block = blockOf(catalog, id);
  const stepDir = path.join(tmp, step);
  fs.mkdirSync(stepDir, { recursive: true });
  const { argv, outputs } = expandCommand(block, { python: python ?? 'python3', stepDir, params, inputs });
  const [program, ...args] = argv;
  const result = spawnSync(program ?? '', args, { cwd: stepDir, encoding: 'utf8', timeout: 60_000, env: { ...pythonEnv(), ...env } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs };
}

/**
 * Imports a block's script as a module (its main() does not run) and runs `code`, which prints one
 * JSON value. This is how the pure data-preparation functions are tested without GPU libraries.
 */
function callScript(id: string, code: string, env: NodeJS.ProcessEnv = {}): unknown {
  const module = (SCRIPTS[id] ?? '').replace(/\.py$/, '');
  const program = [
    'import json, os, sys',
    `sys.path.insert(0, ${JSON.stringify(path.join(BLOCKS_DIR, id))})`,
    `import ${module} as m`,
    code,
  ].join('\n');
  const result = spawnSync(python ?? 'python3', ['-c', program], { cwd: tmp, encoding: 'utf8', timeout: 60_000, env: { ...pythonEnv(), ...env } });
  if (result.error) throw result.error;
  expect(result.stderr, result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as unknown;
}

/** Same, for a call that must stop the script; returns its one error line. */
function callScriptFails(id: string, code: string): { status: number | null; stderr: string } {
  const module = (SCRIPTS[id] ?? '').replace(/\.py$/, '');
  const program = ['import sys', `sys.path.insert(0, ${JSON.stringify(path.join(BLOCKS_DIR, id))})`, `import ${module} as m`, code].join('\n');
  const result = spawnSync(python ?? 'python3', ['-c', program], { cwd: tmp, encoding: 'utf8', timeout: 60_000, env: pythonEnv() });
  return { status: result.status, stderr: result.stderr };
}

/** The first of a block's declared modules this Python cannot import (null when it has them all). */
function firstMissingModule(id: string): string | null {
  for (const m of blockOf(catalog, id).software.python?.modules ?? []) {
    const probe = spawnSync(python ?? 'python3', ['-c', `import ${m.import}`], { encoding: 'utf8', timeout: 60_000 });
    if (probe.status !== 0) return m.import;
  }
  return null;
}

describe('language-model block definitions', () => {
  it('need a cluster and a GPU for fine-tuning and inference, and say why; Evaluate answers runs anywhere', () => {
    for (const id of ['llm-finetune', 'llm-batch-inference']) {
      const b = blockOf(catalog, id);
      expect(b.domain).toBe('language');
      expect(b.requires).toMatchObject({ cluster: true, gpus: 1 });
      expect(b.requires.reason).toMatch(/GPU/);
      expect(b.resources.gpus).toBe(1);
      expect(b.resources.memoryMb).toBeGreaterThanOrEqual(32768);
      expect(b.resources.timeMinutes).toBeGreaterThanOrEqual(240);
      expect(b.help.replace(/\s+/g, ' ')).toMatch(/must be downloaded to the cluster first|must already be on the cluster/);
      expect(b.help).toContain('HF_HUB_OFFLINE=1');
    }
    const evaluate = blockOf(catalog, 'llm-evaluate');
    expect(evaluate.domain).toBe('language');
    expect(evaluate.requires.cluster).toBe(false);
    expect(evaluate.software.python?.modules).toEqual([]);
  });

  it('pin one NVIDIA and one AMD container each, and name exactly those in their error message', () => {
    for (const id of ['llm-finetune', 'llm-batch-inference']) {
      const b = blockOf(catalog, id);
      const containers = b.software.environments.filter((e) => e.kind === 'container');
      expect(containers.map((c) => c.vendor).sort()).toEqual(['amd', 'nvidia']);
      for (const c of containers) {
        expect(c.image).toMatch(/^docker:\/\/[^:]+:[A-Za-z0-9._-]+$/);
        expect(c.image).not.toMatch(/:latest$/);
      }
      if (!python) continue;
      const named = callScript(id, 'print(json.dumps(m.CONTAINERS))') as Record<string, string>;
      expect(named).toEqual(Object.fromEntries(containers.map((c) => [c.vendor, c.image])));
    }
    expect(blockOf(catalog, 'llm-finetune').software.launcher).toBe('torchrun');
    expect(blockOf(catalog, 'llm-batch-inference').software.launcher).toBe('plain'); // vLLM starts its own GPU workers
  });

  it('the model setting help says a model must be downloaded to the cluster first', () => {
    const model = (id: string) => blockOf(catalog, id).params.find((p) => p.id === 'model')?.help ?? '';
    for (const id of ['llm-finetune', 'llm-batch-inference']) {
      expect(model(id)).toMatch(/no internet/);
      expect(model(id)).toMatch(/download the model to the cluster first/);
    }
  });

  it('share the records code through fluxo_block instead of keeping copies, and the model code identical', () => {
    const section = (file: string, start: string, end: string) => {
      const text = fs.readFileSync(file, 'utf8');
      const from = text.indexOf(start);
      const to = text.indexOf(end);
      expect(from, `${file} has ${start}`).toBeGreaterThan(0);
      return text.slice(from, to);
    };
    for (const id of LLM_BLOCKS) {
      const text = fs.readFileSync(scriptPath(id), 'utf8');
      expect(text, id).toMatch(/^from fluxo_block import .*\bread_records\b/m);
      for (const helper of ['find_data_file', 'read_records', 'field_text', 'check_field']) expect(text, `${id} defines ${helper}`).not.toMatch(new RegExp(`^def ${helper}\\(`, 'm'));
    }
    const models = ['llm-finetune', 'llm-batch-inference'].map((id) => section(scriptPath(id), '# --- Models', '# --- end of the shared models code'));
    expect(new Set(models).size).toBe(1);
  });
});

describe.skipIf(!python)('llm-finetune (data preparation, run for real without GPU libraries)', () => {
  it('compiles (all three scripts), and every setting reaches the script as one argument, byte for byte', () => {
    for (const id of LLM_BLOCKS) {
      // py_compile with the bytecode written to the test folder, so resources/ stays free of __pycache__.
      const compiled = spawnSync(python ?? '', ['-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)', scriptPath(id), path.join(tmp, `${id}.pyc`)], { encoding: 'utf8' });
      expect(compiled.stderr, id).toBe('');
      expect(compiled.status, id).toBe(0);
    }
    const model = `$HOME/models/it's "mine" $(rm -rf x)`;
    const { argv, outputs } = expandCommand(blockOf(catalog, 'llm-finetune'), {
      python: 'python3',
      stepDir: '/run/steps/finetune',
      params: { model, learning_rate: 0.0001, lora_rank: 8 },
      inputs: { dataset: '/run/steps/data/data' },
    });
    expect(argv.slice(0, 2)).toEqual(['python3', scriptPath('llm-finetune')]);
    expect(argv).toContain(`--model=${model}`);
    expect(argv).toContain('--learning-rate=0.0001');
    expect(argv).toContain('--lora-rank=8');
    expect(argv[argv.indexOf('--dataset') + 1]).toBe('/run/steps/data/data');
    expect(outputs).toEqual({ model: '/run/steps/finetune/model', adapter: '/run/steps/finetune/adapter', metrics: '/run/steps/finetune/training-metrics.json' });
  });

  it('checks the data, then stops with one line naming the missing module and the containers that have it', () => {
    const missing = firstMissingModule('llm-finetune');
    if (!missing) return console.warn('this Python has torch, transformers and peft: the missing-module message cannot be seen here');
    const data = write('ok/train.jsonl', jsonl([{ prompt: 'Which organ does hepatitis affect?', response: 'The liver.' }, { prompt: 'What does BMI stand for?', response: 'Body mass index' }]));
    const r = run('llm-finetune', 'finetune-ok', { model: modelFolder('qwen') }, { dataset: data });
    expect(r.stdout).toContain('Read 2 training examples');
    expect(r.stdout).toContain('(offline, from a folder)');
    expectError(r, `the Python module "${missing}" is not installed here`);
    for (const env of blockOf(catalog, 'llm-finetune').software.environments) if (env.kind === 'container') expect(r.stderr).toContain(env.image);
    expect(r.stderr).toContain('choose a cluster as the target');
    expect(fs.existsSync(r.outputs.model ?? '')).toBe(false);
  });

  it('names the fields the data has when the response field is wrong, before loading any GPU library', () => {
    const data = write('wrong-field/train.jsonl', jsonl([{ question: 'Q?', answer: 'A.' }]));
    const r = run('llm-finetune', 'finetune-field', { model: modelFolder('qwen'), prompt_field: 'question', response_field: 'response' }, { dataset: data });
    expectError(r, 'the training data has no field "response"; its fields are "question", "answer". Set "Response field" to one of them.');
  });

  it('says which line of a JSON Lines file is broken, and which record is empty', () => {
    const broken = write('broken/train.jsonl', '{"prompt": "a", "response": "b"}\n{"prompt": "c", "response": }\n');
    expectError(run('llm-finetune', 'finetune-broken', { model: modelFolder('qwen') }, { dataset: broken }), 'line 2 of the training data');
    const empty = write('empty/train.jsonl', jsonl([{ prompt: 'a', response: 'b' }, { prompt: 'c', response: '  ' }]));
    expectError(run('llm-finetune', 'finetune-empty', { model: modelFolder('qwen') }, { dataset: empty }), 'record 2 of the training data has an empty "response"');
  });

  it('reads a folder with one data file (what Upload data and Remote path give), and refuses one with two', () => {
    const one = path.join(tmp, 'one-file');
    write('one-file/qa.csv', 'prompt,response\n"What is 2, plus 2?",4\n');
    write('one-file/.hidden.csv', 'not,data\n');
    const missing = firstMissingModule('llm-finetune');
    const ok = run('llm-finetune', 'finetune-folder', { model: modelFolder('qwen') }, { dataset: one });
    expect(ok.stdout).toContain('Read 1 training examples');
    if (missing) expectError(ok, `"${missing}"`);
    write('two-files/a.jsonl', jsonl([{ prompt: 'a', response: 'b' }]));
    write('two-files/b.csv', 'prompt,response\na,b\n');
    expectError(run('llm-finetune', 'finetune-two', { model: modelFolder('qwen') }, { dataset: path.join(tmp, 'two-files') }), 'holds several data files (a.jsonl, b.csv)');
  });

  it('needs the model on the cluster: a missing folder is refused with the download command', () => {
    const data = write('m/train.jsonl', jsonl([{ prompt: 'a', response: 'b' }]));
    const r = run('llm-finetune', 'finetune-nomodel', { model: path.join(tmp, 'no-such-model') }, { dataset: data });
    expectError(r, 'does not exist or holds no config.json; download the model to the cluster first');
    expect(r.stderr).toContain('huggingface-cli download');
  });

  it('uses a model folder offline (HF_HUB_OFFLINE=1), expands $VARIABLES, and leaves a model id online', () => {
    const models = path.join(tmp, 'models');
    fs.mkdirSync(path.join(models, 'tiny'), { recursive: true });
    fs.writeFileSync(path.join(models, 'tiny', 'config.json'), '{}');
    const outcome = callScript('llm-finetune', [
      'folder = m.model_from_setting("$FLUXO_TEST_MODELS/tiny", "Base model")',
      'offline = [os.environ.get("HF_HUB_OFFLINE"), os.environ.get("TRANSFORMERS_OFFLINE")]',
      'print(json.dumps({"folder": folder, "offline": offline}))',
    ].join('\n'), { FLUXO_TEST_MODELS: models, HF_HUB_OFFLINE: '' });
    expect(outcome).toEqual({ folder: [path.join(models, 'tiny'), true], offline: ['1', '1'] });
    const id = callScript('llm-finetune', 'r = m.model_from_setting(" Qwen/Qwen2.5-0.5B-Instruct ", "Base model"); print(json.dumps([r, os.environ.get("HF_HUB_OFFLINE")]))', { HF_HUB_OFFLINE: '' });
    expect(id).toEqual([['Qwen/Qwen2.5-0.5B-Instruct', false], '']);
    const unset = callScriptFails('llm-finetune', 'm.model_from_setting("$FLUXO_NO_SUCH_VARIABLE/x", "Base model")');
    expectError(unset, '"Base model" uses $FLUXO_NO_SUCH_VARIABLE, which is not set here');
    expectError(callScriptFails('llm-finetune', 'm.model_from_setting("not a model id!", "Base model")'), 'neither a model id');
  });

  it('formats prompts and keeps CSV answers as written', () => {
    const data = write('fmt/qa.csv', 'prompt,response,note\nWhat is the code?,007,x\n');
    expect(callScript('llm-finetune', [
      `records = m.read_records(${JSON.stringify(data)}, "training data")`,
      'examples = m.build_examples(records, "prompt", "response")',
      'whole = m.build_examples(records, "prompt", "")',
      'print(json.dumps([examples, whole, m.format_prompt(" Why? ", "question_answer"), m.format_prompt(" Why? ", "plain")]))',
    ].join('\n'))).toEqual([
      [['What is the code?', '007']],
      [['What is the code?', null]],
      '### Question:\nWhy?\n\n### Answer:\n',
      ' Why? ',
    ]);
  });

  it('learns only the answer tokens, shortens long prompts from their start, and pads without learning padding', () => {
    const out = callScript('llm-finetune', [
      'fits = m.build_features([1, 2, 3], [7, 8, 9], 10)',
      'long_prompt = m.build_features(list(range(100, 120)), [7, 8, 9], 8)',
      'long_answer = m.build_features([1, 2, 3, 4, 5, 6], list(range(200, 220)), 8)',
      'whole_text = m.build_features([], [5, 6, 7], 2)',
      'padded = m.pad_batch([fits[0], m.build_features([1], [2], 4)[0]], 0)',
      'print(json.dumps([fits, long_prompt, long_answer, whole_text, padded]))',
    ].join('\n')) as Array<unknown>;
    expect(out[0]).toEqual([{ input_ids: [1, 2, 3, 7, 8, 9], labels: [-100, -100, -100, 7, 8, 9], attention_mask: [1, 1, 1, 1, 1, 1] }, false]);
    // 8 tokens: the whole answer (3) and the last 5 prompt tokens, the ones next to the answer.
    expect(out[1]).toEqual([{ input_ids: [115, 116, 117, 118, 119, 7, 8, 9], labels: [-100, -100, -100, -100, -100, 7, 8, 9], attention_mask: [1, 1, 1, 1, 1, 1, 1, 1] }, true]);
    // A long answer keeps half the budget; the prompt keeps its last tokens.
    expect(out[2]).toEqual([{ input_ids: [3, 4, 5, 6, 200, 201, 202, 203], labels: [-100, -100, -100, -100, 200, 201, 202, 203], attention_mask: [1, 1, 1, 1, 1, 1, 1, 1] }, true]);
    expect(out[3]).toEqual([{ input_ids: [5, 6], labels: [5, 6], attention_mask: [1, 1] }, true]);
    expect(out[4]).toEqual({
      input_ids: [[1, 2, 3, 7, 8, 9], [1, 2, 0, 0, 0, 0]],
      labels: [[-100, -100, -100, 7, 8, 9], [-100, 2, -100, -100, -100, -100]],
      attention_mask: [[1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]],
    });
  });

  it('adapts every linear layer with PEFT 0.8 or later, and leaves older PEFT its defaults per model type', () => {
    expect(callScript('llm-finetune', 'print(json.dumps([m.lora_targets(v) for v in ["0.7.1", "0.8.0", "0.13.2", "1.0.0.dev0"]]))')).toEqual([null, 'all-linear', 'all-linear', 'all-linear']);
  });

  it('refuses settings that cannot train before touching the data', () => {
    const data = write('s/train.jsonl', jsonl([{ prompt: 'a', response: 'b' }]));
    expectError(run('llm-finetune', 'finetune-lr', { model: modelFolder('qwen'), learning_rate: 2 }, { dataset: data }), '"Learning rate" must be between 0 and 1');
    expectError(run('llm-finetune', 'finetune-format', { model: modelFolder('qwen'), prompt_format: 'alpaca' }, { dataset: data }), 'unknown prompt format "alpaca"');
  });
});

describe.skipIf(!python)('llm-batch-inference (prompt handling, run for real without vLLM)', () => {
  it('reads and checks the prompts, then stops with one line naming the missing module and its containers', () => {
    const missing = firstMissingModule('llm-batch-inference');
    if (!missing) return console.warn('this Python has torch and vllm: the missing-module message cannot be seen here');
    const prompts = write('inf/test.jsonl', jsonl([{ prompt: 'Which organ does hepatitis affect?', response: 'liver' }]));
    const r = run('llm-batch-inference', 'inference-ok', { model: modelFolder('qwen') }, { prompts, model: '' });
    expect(r.stdout).toContain('Read 1 prompts');
    expectError(r, `the Python module "${missing}" is not installed here`);
    for (const env of blockOf(catalog, 'llm-batch-inference').software.environments) if (env.kind === 'container') expect(r.stderr).toContain(env.image);
  });

  it('prefers the connected fine-tuned model and checks that it is a model folder', () => {
    const prompts = write('inf2/test.jsonl', jsonl([{ prompt: 'q' }]));
    const notAModel = path.join(tmp, 'not-a-model');
    fs.mkdirSync(notAModel, { recursive: true });
    expectError(run('llm-batch-inference', 'inference-bad-model', { model: 'Qwen/Qwen2.5-0.5B' }, { prompts, model: notAModel }), `"${notAModel}" (the connected model) does not exist or holds no config.json`);
    expectError(run('llm-batch-inference', 'inference-no-model', {}, { prompts, model: '' }), '"Model" is empty');
  });

  it('refuses prompts that already hold answers, and names the prompt fields', () => {
    const done = write('inf3/test.jsonl', jsonl([{ prompt: 'q', generated: 'old' }]));
    expectError(run('llm-batch-inference', 'inference-done', { model: modelFolder('qwen') }, { prompts: done, model: '' }), 'the prompt file already has a "generated" field');
    const other = write('inf4/test.jsonl', jsonl([{ question: 'q' }]));
    expectError(run('llm-batch-inference', 'inference-field', { model: modelFolder('qwen') }, { prompts: other, model: '' }), 'the prompt file has no field "prompt"; its fields are "question"');
  });

  it('uses the prompt format the model was fine-tuned with, and writes every record back with its answer', () => {
    const tuned = modelFolder('tuned');
    fs.writeFileSync(path.join(tuned, 'fluxo-prompt.json'), '{"prompt_format": "question_answer", "prompt_field": "prompt"}\n');
    const out = path.join(tmp, 'inf5', 'answers.jsonl');
    const prompts = write('inf5/test.jsonl', jsonl([{ prompt: 'Q1', response: ['r1', 'r2'], id: 7 }, { prompt: 'Q2 ✓', response: 'r' }]));
    expect(callScript('llm-batch-inference', [
      `records, prompts = m.read_prompts(${JSON.stringify(prompts)}, "prompt")`,
      `saved = m.saved_prompt_format(${JSON.stringify(tuned)})`,
      `m.write_generations(${JSON.stringify(out)}, records, ["A1", "A2 \\"quoted\\""])`,
      'print(json.dumps({"prompts": prompts, "saved": saved,',
      '  "auto_tuned": m.choose_prompt_format("auto", saved, True),',
      '  "auto_chat": m.choose_prompt_format("auto", None, True),',
      '  "auto_plain": m.choose_prompt_format("auto", None, False),',
      '  "chosen": m.choose_prompt_format("plain", saved, True),',
      `  "untuned": m.saved_prompt_format(${JSON.stringify(modelFolder('plain-model'))})}))`,
    ].join('\n'))).toEqual({ prompts: ['Q1', 'Q2 ✓'], saved: 'question_answer', auto_tuned: 'question_answer', auto_chat: 'chat', auto_plain: 'plain', chosen: 'plain', untuned: null });
    const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([{ prompt: 'Q1', response: ['r1', 'r2'], id: 7, generated: 'A1' }, { prompt: 'Q2 ✓', response: 'r', generated: 'A2 "quoted"' }]);
  });
});

describe.skipIf(!python)('llm-evaluate (run whole)', () => {
  it('scores exact match, token F1 and contains-the-reference, with lists of acceptable answers', () => {
    // Worked by hand from the definitions (SQuAD normalisation: case, punctuation, a/an/the, spaces):
    // 1 "The Liver!" vs "liver": exact, F1 1, contains.       2 "body mass index" vs ["BMI", "Body-Mass Index"]: "body mass index" vs "body mass index" → exact.
    // 3 "It is the liver." vs "liver": not exact; F1: answer "it is liver" (3 words), 1 shared → P 1/3, R 1 → 0.5; contains.
    // 4 "kidney" vs "liver": 0, 0, 0.
    const answers = write('eval/answers.jsonl', jsonl([
      { prompt: 'p1', response: 'liver', generated: 'The Liver!' },
      { prompt: 'p2', response: ['BMI', 'Body-Mass Index'], generated: 'body mass index' },
      { prompt: 'p3', response: 'liver', generated: 'It is the liver.' },
      { prompt: 'p4', response: 'liver', generated: 'kidney' },
    ]));
    const r = run('llm-evaluate', 'evaluate', {}, { answers });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const metrics = JSON.parse(fs.readFileSync(r.outputs.metrics ?? '', 'utf8')) as Record<string, unknown>;
    expect(metrics).toMatchObject({ exact_match: 0.5, token_f1: 0.625, contains_reference: 0.75, n_examples: 4, empty_answers: 0, answer_field: 'generated', reference_field: 'response', normalized: true });
    const scores = readCsv(r.outputs.scores ?? '');
    expect(scores.header).toEqual(['row', 'reference', 'answer', 'exact_match', 'token_f1', 'contains_reference']);
    expect(scores.rows.map((row) => [row[0], row[3], row[4], row[5]])).toEqual([['1', '1', '1.0', '1'], ['2', '1', '1.0', '1'], ['3', '0', '0.5', '1'], ['4', '0', '0.0', '0']]);
    expect(r.stdout).toContain('Scored 4 answers');
  });

  it('compares exactly when asked, and keeps CSV answers as text ("007" is not 7)', () => {
    const answers = write('eval-csv/answers.csv', 'generated,truth\n007,007\nLiver,liver\n');
    const exact = run('llm-evaluate', 'evaluate-exact', { reference_field: 'truth', normalize: false }, { answers });
    expect(exact.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(exact.outputs.metrics ?? '', 'utf8'))).toMatchObject({ exact_match: 0.5, normalized: false });
  });

  it('names the fields the answers have when a field is wrong', () => {
    const answers = write('eval-bad/answers.jsonl', jsonl([{ output: 'a', response: 'b' }]));
    expectError(run('llm-evaluate', 'evaluate-bad', {}, { answers }), 'the answer file has no field "generated"; its fields are "output", "response". Set "Answer field" to one of them.');
  });

  it('reads the folder Upload data makes from a file, so the blocks chain', () => {
    const file = write('chain/my answers.jsonl', jsonl([{ generated: 'yes', response: 'yes' }]));
    const upload = runBlock(blockOf(catalog, 'upload-data'), { python: python ?? 'python3', stepDir: path.join(tmp, 'chain-upload'), params: { kind: 'file', file } });
    expect(upload.status).toBe(0);
    const r = run('llm-evaluate', 'chain-evaluate', {}, { answers: upload.outputs.data ?? '' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(fs.readFileSync(r.outputs.metrics ?? '', 'utf8'))).toMatchObject({ exact_match: 1, n_examples: 1 });
  });
});

describe('LLM example pipeline', () => {
  const text = fs.readFileSync(EXAMPLE, 'utf8');
  const parsed = parseDocument(text);

  it('parses, round-trips byte-identically and validates without problems', () => {
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.document.version).toBe(DOCUMENT_VERSION);
    expect(serializeDocument(parsed.document)).toBe(text);
    expect(validatePipeline(parsed.document, catalog)).toEqual([]);
  });

  it('goes from data on the cluster through fine-tuning, inference and evaluation to a report', () => {
    if (!parsed.ok) throw new Error(parsed.message);
    const doc = parsed.document;
    const types = doc.steps.map((s) => s.type);
    expect(types).toEqual(['remote-path', 'remote-path', 'llm-finetune', 'llm-batch-inference', 'llm-evaluate', 'report', 'download-results']);
    const fed = (step: string, port: string) => doc.connections.filter((c) => c.to.step === step && c.to.port === port).map((c) => `${c.from.step}.${c.from.port}`);
    expect(fed('inference', 'model')).toEqual(['finetune.model']);
    expect(fed('evaluate', 'answers')).toEqual(['inference.answers']);
    expect(fed('report', 'metrics').sort()).toEqual(['evaluate.metrics', 'finetune.metrics']);
    // It needs a cluster: some step cannot run on "This computer".
    expect(doc.steps.some((s) => blockOf(catalog, s.type).requires.cluster)).toBe(true);
    expect(doc.notes[0]?.text).toContain('huggingface-cli download');
  });
});
