import { describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/fixtures/catalog';
import type { PipelineDocument, Step } from '../document';
import { createEmptyDocument } from '../document';
import { checkConnection, hasErrors, ProblemCode, validatePipeline } from './index';

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

describe('checkConnection', () => {
  it('accepts a table into a table-family input and refuses a table into a model input, saying why', () => {
    expect(checkConnection({ block: block('source'), port: 'table' }, { block: block('report'), port: 'extra' }).ok).toBe(true);
    const refused = checkConnection({ block: block('source'), port: 'table' }, { block: block('train'), port: 'data' });
    expect(refused.ok).toBe(true);
    const bad = checkConnection({ block: block('train'), port: 'model' }, { block: block('train'), port: 'data' });
    expect(bad).toEqual({ ok: false, reason: 'Training data of Train needs a table (CSV), but Model of Train gives a trained scikit-learn model' });
  });
});
