import { describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/fixtures/catalog';
import type { PipelineDocument, Step } from '../document';
import { createEmptyDocument } from '../document';
import { checkConnection, hasErrors, ProblemCode, sweepPoints, sweepSources, validatePipeline } from './index';

const catalog = testCatalog();
const block = (id: string) => catalog.blocks.find((b) => b.id === id)!;

function step(id: string, type: string, params: Step['params'] = {}, version = block(type)?.version ?? 1): Step {
  return { id, type, version, label: '', params, position: { x: 0, y: 0 } };
}

/** source -> train -> report, valid. */
function pipeline(): PipelineDocument {
  const doc = createEmptyDocument('Test', new Date('2026-01-01T00:00:00Z'));
  doc.steps.push(step('src', 'source'), step('fit', 'train', { rate: 0.5 }), step('rep', 'report'));
  doc.connections.push(
    { from: { step: 'src', port: 'table' }, to: { step: 'fit', port: 'data' } },
    { from: { step: 'fit', port: 'model' }, to: { step: 'rep', port: 'model' } },
  );
  return doc;
}

const codes = (doc: PipelineDocument) => validatePipeline(doc, catalog).map((p) => p.code);

describe('validatePipeline', () => {
  it('finds nothing wrong in a correct pipeline', () => {
    expect(validatePipeline(pipeline(), catalog)).toEqual([]);
  });

  it('names an unknown block and an unknown block version with a fix', () => {
    const doc = pipeline();
    doc.steps.push(step('x', 'segment-tumour'), step('old', 'train', { rate: 0.1 }, 1));
    const problems = validatePipeline(doc, catalog);
    expect(problems.find((p) => p.code === ProblemCode.UnknownBlock)).toMatchObject({ stepId: 'x', message: expect.stringMatching(/segment-tumour/) });
    expect(problems.find((p) => p.code === ProblemCode.UnknownBlockVersion)).toMatchObject({ stepId: 'old', message: expect.stringMatching(/version 1.*version 2/) });
  });

  it('reports a cycle naming its steps', () => {
    const doc = pipeline();
    doc.steps.push(step('fit2', 'train', { rate: 0.2 }));
    doc.connections.push({ from: { step: 'fit', port: 'model' }, to: { step: 'fit2', port: 'data' } });
    // A model is not a table, but the loop is reported independently of formats.
    doc.connections.push({ from: { step: 'fit2', port: 'model' }, to: { step: 'fit', port: 'data' } });
    const cycle = validatePipeline(doc, catalog).find((p) => p.code === ProblemCode.Cycle);
    expect(cycle?.message).toMatch(/loop/);
    expect(cycle?.message).toMatch(/Train/);
  });

  it('reports a required input left unconnected, but not an optional one', () => {
    const doc = pipeline();
    doc.connections.pop();
    const problems = validatePipeline(doc, catalog);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: ProblemCode.UnconnectedInput, stepId: 'rep', field: 'inputs.model' });
    expect(problems[0]?.fix).toMatch(/Connect an output that gives a trained model/);
  });

  it('reports incompatible formats in words', () => {
    const doc = pipeline();
    doc.connections[1] = { from: { step: 'src', port: 'table' }, to: { step: 'rep', port: 'model' } };
    const p = validatePipeline(doc, catalog).find((x) => x.code === ProblemCode.IncompatibleFormats);
    expect(p?.message).toBe('Model of Report needs a trained model, but Table of Source gives a table (CSV)');
  });

  it('reports missing and out-of-range params on the step and field', () => {
    const doc = pipeline();
    doc.steps[1]!.params = { model: 'rf', trees: 9000 };
    const problems = validatePipeline(doc, catalog);
    expect(problems.map((p) => [p.code, p.field])).toEqual([
      [ProblemCode.InvalidParam, 'trees'],
      [ProblemCode.MissingParam, 'rate'],
    ]);
    expect(problems[0]?.message).toBe('Train: Trees must be at most 500 (it is 9000)');
  });

  it('ignores hidden params: an out-of-range tree count does not matter for logistic regression', () => {
    const doc = pipeline();
    doc.steps[1]!.params = { model: 'lr', trees: 9000, rate: 0.1 };
    expect(validatePipeline(doc, catalog)).toEqual([]);
  });

  it('warns (without blocking) about params the block does not have', () => {
    const doc = pipeline();
    doc.steps[0]!.params = { colour: 'red' };
    const problems = validatePipeline(doc, catalog);
    expect(problems).toMatchObject([{ code: ProblemCode.UnknownParam, severity: 'warning', field: 'colour' }]);
    expect(hasErrors(problems)).toBe(false);
  });

  it('reports connections to missing steps or ports, doubled inputs, self-loops and duplicate ids', () => {
    const doc = pipeline();
    doc.steps.push(step('src', 'source'));
    doc.connections.push(
      { from: { step: 'ghost', port: 'table' }, to: { step: 'fit', port: 'data' } },
      { from: { step: 'src', port: 'nope' }, to: { step: 'rep', port: 'extra' } },
      { from: { step: 'src', port: 'table' }, to: { step: 'fit', port: 'data' } },
      { from: { step: 'rep', port: 'report' }, to: { step: 'rep', port: 'extra' } },
    );
    const found = codes(doc);
    for (const c of [ProblemCode.DuplicateStepId, ProblemCode.UnknownStep, ProblemCode.UnknownPort, ProblemCode.InputConnectedTwice, ProblemCode.SelfConnection]) {
      expect(found).toContain(c);
    }
  });

  it('says an empty pipeline needs a block', () => {
    expect(codes(createEmptyDocument('Empty', new Date()))).toEqual([ProblemCode.EmptyPipeline]);
  });

  it('gives every problem a code, a message and a fix', () => {
    const doc = pipeline();
    doc.steps.push(step('x', 'nope'));
    doc.connections.pop();
    for (const p of validatePipeline(doc, catalog)) {
      expect(p.code).toMatch(/^V\d{3}$/);
      expect(p.message.length).toBeGreaterThan(10);
      expect(p.fix.length).toBeGreaterThan(10);
    }
  });
});

/** src -> fit (swept) -> rep, and a collecting step. */
function sweepPipeline(): PipelineDocument {
  const doc = pipeline();
  doc.steps[1]!.sweep = { values: { rate: [0.1, 0.5], model: ['lr', 'rf'] } };
  return doc;
}

describe('sweeps', () => {
  it('builds the grid in sorted param order, the last param varying fastest, each list in its own order', () => {
    expect(sweepPoints({ values: { rate: [0.5, 0.1], model: ['rf', 'lr'] } })).toEqual([
      { model: 'rf', rate: 0.5 },
      { model: 'rf', rate: 0.1 },
      { model: 'lr', rate: 0.5 },
      { model: 'lr', rate: 0.1 },
    ]);
  });

  it('accepts a valid sweep, and checks hidden params against every point (trees shows only for rf)', () => {
    expect(validatePipeline(sweepPipeline(), catalog)).toEqual([]);
    const doc = sweepPipeline();
    doc.steps[1]!.params = { rate: 0.5, trees: 9000 };
    expect(validatePipeline(doc, catalog).map((p) => [p.code, p.field])).toEqual([[ProblemCode.InvalidParam, 'trees']]);
  });

  it('refuses a sweep of a param the block does not have, naming the ones it has', () => {
    const doc = pipeline();
    doc.steps[1]!.sweep = { values: { depth: [1, 2] } };
    const p = validatePipeline(doc, catalog).find((x) => x.code === ProblemCode.SweepUnknownParam);
    expect(p).toMatchObject({ severity: 'error', stepId: 'fit', field: 'depth' });
    expect(p?.fix).toContain('model, trees, rate, verbose');
  });

  it('refuses values that do not fit the param type, one problem per value, and warns about repeats', () => {
    const doc = pipeline();
    doc.steps[1]!.sweep = { values: { rate: [0.1, 'fast', 7], model: ['lr', 'svm', 'lr'] } };
    const problems = validatePipeline(doc, catalog);
    const invalid = problems.filter((p) => p.code === ProblemCode.SweepInvalidValue);
    expect(invalid.filter((p) => p.severity === 'error').map((p) => p.message)).toEqual([
      'Train: the sweep value "svm" does not fit: Model must be one of: Logistic regression, Random forest',
      'Train: the sweep value "fast" does not fit: Rate must be a number',
      'Train: the sweep value 7 does not fit: Rate must be at most 1 (it is 7)',
    ]);
    expect(invalid.find((p) => p.severity === 'warning')?.message).toMatch(/lists "lr" twice/);
  });

  it('refuses an empty list and a sweep with nothing to vary', () => {
    const doc = pipeline();
    doc.steps[1]!.sweep = { values: { rate: [] } };
    expect(codes(doc)).toContain(ProblemCode.SweepEmpty);
    doc.steps[1]!.sweep = { values: {} };
    expect(validatePipeline(doc, catalog).find((p) => p.code === ProblemCode.SweepEmpty)?.message).toMatch(/no settings to vary/);
  });

  it('refuses a grid of more than 1000 tasks, saying how many it makes', () => {
    const doc = pipeline();
    const many = Array.from({ length: 101 }, (_, i) => i / 100);
    doc.steps[1]!.sweep = { values: { rate: many.slice(0, 100), trees: Array.from({ length: 11 }, (_, i) => 10 + i), model: ['rf'] } };
    const p = validatePipeline(doc, catalog).find((x) => x.code === ProblemCode.SweepTooLarge);
    expect(p?.message).toBe('Train: the sweep makes 1100 tasks (1 × 100 × 11 values); at most 1000 are allowed');
  });

  it('lets a step inherit its upstream sweep through a single input, and a multiple input collect it', () => {
    const doc = sweepPipeline();
    doc.steps.push(step('all', 'collect'));
    doc.connections.push({ from: { step: 'fit', port: 'model' }, to: { step: 'all', port: 'models' } });
    expect(validatePipeline(doc, catalog)).toEqual([]);
    const sources = sweepSources(doc, catalog);
    expect(sources.get('rep')).toEqual({ sweepOf: 'fit', own: false, reaching: ['fit'] });
    expect(sources.get('all')).toEqual({ sweepOf: null, own: false, reaching: [] });
  });

  it('refuses a step that has its own sweep and inherits one, with a fix', () => {
    const doc = sweepPipeline();
    doc.steps[2]!.sweep = { values: { title: ['a', 'b'] } };
    const p = validatePipeline(doc, catalog).find((x) => x.code === ProblemCode.SweepConflict);
    expect(p).toMatchObject({ severity: 'error', stepId: 'rep' });
    expect(p?.message).toBe('Report has its own sweep and would also run once per task of the sweep of Train');
    expect(p?.fix).toMatch(/Remove the sweep from Report, or feed it through an input that collects every task/);
  });

  it('refuses a step that would inherit two different sweeps, naming both', () => {
    const doc = sweepPipeline();
    doc.steps.push({ ...step('src2', 'source'), label: 'Other rows', sweep: { values: { rows: [1, 2, 3] } } });
    doc.steps[0]!.sweep = { values: { rows: [5, 6] } };
    doc.steps[1]!.sweep = undefined;
    // rep: model from fit (which inherits src's sweep), extra from src2 (swept itself).
    doc.connections.push({ from: { step: 'src2', port: 'table' }, to: { step: 'rep', port: 'extra' } });
    const p = validatePipeline(doc, catalog).find((x) => x.code === ProblemCode.SweepConflict);
    expect(p?.message).toBe('Report would run once per task of two different sweeps (Source and Other rows); Fluxo cannot pair their tasks');
    expect(p?.fix).toMatch(/Keep the sweep on only one/);
  });
});

describe('inputs that take several connections', () => {
  it('lets a multiple input take several connections, in any number, but a single input only one', () => {
    const doc = pipeline();
    doc.steps.push(step('fit2', 'train', { rate: 0.3 }), step('all', 'collect'));
    doc.connections.push(
      { from: { step: 'src', port: 'table' }, to: { step: 'fit2', port: 'data' } },
      { from: { step: 'fit', port: 'model' }, to: { step: 'all', port: 'models' } },
      { from: { step: 'fit2', port: 'model' }, to: { step: 'all', port: 'models' } },
    );
    expect(validatePipeline(doc, catalog)).toEqual([]);
    doc.connections.push({ from: { step: 'fit2', port: 'model' }, to: { step: 'rep', port: 'model' } });
    expect(validatePipeline(doc, catalog).map((p) => [p.code, p.stepId, p.field])).toEqual([[ProblemCode.InputConnectedTwice, 'rep', 'inputs.model']]);
  });
});

describe('step resources', () => {
  it('refuses overrides out of range, naming the field and the block default', () => {
    const doc = pipeline();
    doc.steps[1]!.resources = { cpus: 0, memoryMb: 10, timeMinutes: 1.5, gpus: 65 };
    const problems = validatePipeline(doc, catalog).filter((p) => p.code === ProblemCode.ResourceOutOfRange);
    expect(problems.map((p) => p.field)).toEqual(['resources.cpus', 'resources.memoryMb', 'resources.timeMinutes', 'resources.gpus']);
    expect(problems[0]?.message).toBe('Train: CPUs is 0; it must be a whole number from 1 to 1024');
    expect(problems[0]?.fix).toMatch(/block's default \(1\)/);
  });

  it('refuses fewer GPUs than the block needs', () => {
    const doc = pipeline();
    doc.steps.push(step('tune', 'finetune'));
    doc.connections.push({ from: { step: 'src', port: 'table' }, to: { step: 'tune', port: 'data' } });
    expect(validatePipeline(doc, catalog)).toEqual([]);
    doc.steps[3]!.resources = { gpus: 0 };
    expect(validatePipeline(doc, catalog)).toMatchObject([
      { code: ProblemCode.TooFewGpus, field: 'resources.gpus', message: 'Fine-tune: Fine-tune needs at least 1 GPU (training it takes data-centre GPUs); this step asks for 0' },
    ]);
  });
});

describe('checkConnection', () => {
  it('accepts a table into a table-family input and refuses a table into a model input, saying why', () => {
    expect(checkConnection({ block: block('source'), port: 'table' }, { block: block('report'), port: 'extra' }).ok).toBe(true);
    const refused = checkConnection({ block: block('source'), port: 'table' }, { block: block('train'), port: 'data' });
    expect(refused.ok).toBe(true);
    const bad = checkConnection({ block: block('train'), port: 'model' }, { block: block('train'), port: 'data' });
    expect(bad).toEqual({ ok: false, reason: 'Training data of Train needs a table (CSV), but Model of Train gives a trained scikit-learn model' });
  });
});
