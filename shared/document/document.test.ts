import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmptyDocument, DOCUMENT_VERSION, documentJsonSchema, isParamEditable, migrate, parseDocument, serializeDocument } from './index';

const root = path.resolve(__dirname, '../..');
const frozenV1 = readFileSync(path.join(root, 'test/fixtures/documents/v1-frozen.fluxo'), 'utf8');
const frozenV2 = readFileSync(path.join(root, 'test/fixtures/documents/v2-frozen.fluxo'), 'utf8');

describe('pipeline document', () => {
  it('opens the frozen version 1 file with every value intact', () => {
    const parsed = parseDocument(frozenV1);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.document.metadata.author).toBe("Ana O'Neill");
    expect(parsed.document.steps.map((s) => s.id)).toEqual(['data', 'split']);
    expect(parsed.document.steps[1]?.params).toEqual({ seed: 7, stratify: true, target_column: 'target', test_fraction: 0.3 });
    expect(parsed.document.notes[0]?.text).toContain('30 %');
  });

  it('saves the frozen file back byte for byte apart from the new version number, so files diff cleanly in git', () => {
    const parsed = parseDocument(frozenV1);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(serializeDocument(parsed.document)).toBe(frozenV1.replace('"version": 1,', `"version": ${DOCUMENT_VERSION},`));
  });

  it('opens the frozen version 2 file (resources and a sweep) and saves it back unchanged apart from the version', () => {
    const parsed = parseDocument(frozenV2);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.migratedFrom).toBe(2);
    expect(parsed.document.steps.some((s) => s.sweep)).toBe(true);
    expect(serializeDocument(parsed.document)).toBe(frozenV2.replace('"version": 2,', `"version": ${DOCUMENT_VERSION},`));
  });

  it('keeps a lock and note sizes and colours through a save, with the editable params in a stable order', () => {
    const doc = createEmptyDocument('Class', new Date('2026-01-01T00:00:00Z'));
    doc.notes.push({ id: 'n1', text: '**Step 1**', position: { x: 0, y: 0 }, size: { width: 300, height: 120 }, color: 'blue' });
    doc.lock = { editable: ['split.test_fraction', 'data.dataset'], message: 'Change only these' };
    const reopened = parseDocument(serializeDocument(doc));
    if (!reopened.ok) throw new Error(reopened.message);
    expect(reopened.document.notes[0]).toEqual({ id: 'n1', text: '**Step 1**', position: { x: 0, y: 0 }, size: { width: 300, height: 120 }, color: 'blue' });
    expect(reopened.document.lock).toEqual({ editable: ['data.dataset', 'split.test_fraction'], message: 'Change only these' });
  });

  it('lets a student change only the params the instructor marked, and everything in an unlocked pipeline', () => {
    const doc = createEmptyDocument('Class', new Date('2026-01-01T00:00:00Z'));
    expect(isParamEditable(doc, 'split', 'seed')).toBe(true);
    doc.lock = { editable: ['split.test_fraction'], message: '' };
    expect(isParamEditable(doc, 'split', 'test_fraction')).toBe(true);
    expect(isParamEditable(doc, 'split', 'seed')).toBe(false);
    expect(isParamEditable(doc, 'train', 'test_fraction')).toBe(false);
  });

  it('refuses a lock entry that is not "<step>.<param>"', () => {
    const doc = JSON.parse(serializeDocument(createEmptyDocument('Class', new Date('2026-01-01T00:00:00Z'))));
    doc.lock = { editable: ['../etc'], message: '' };
    const parsed = parseDocument(JSON.stringify(doc));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems[0]?.path).toBe('lock.editable[0]');
  });

  it('writes keys in a stable order whatever order they were set in', () => {
    const doc = createEmptyDocument('Order', new Date('2026-01-01T00:00:00Z'));
    doc.steps.push({ id: 'a', type: 'x', version: 1, label: '', params: { zeta: 1, alpha: 'b', mid: true }, position: { x: 1, y: 2 } });
    const text = serializeDocument(doc);
    expect(text.indexOf('"alpha"')).toBeLessThan(text.indexOf('"mid"'));
    expect(text.indexOf('"mid"')).toBeLessThan(text.indexOf('"zeta"'));
    expect(text.endsWith('}\n')).toBe(true);
    // One value per line: no line carries two keys.
    for (const line of text.split('\n')) expect((line.match(/":/g) ?? []).length).toBeLessThanOrEqual(1);
  });

  it('explains a truncated file instead of failing silently', () => {
    const parsed = parseDocument(frozenV1.slice(0, 300));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(/not valid JSON.*truncated/);
    expect(parsed.hint).toMatch(/did not change it/);
  });

  it('names the field of a hand-broken file', () => {
    const broken = JSON.parse(frozenV1);
    broken.steps[1].position.x = 'left';
    broken.steps[0].id = 'Data Step';
    const parsed = parseDocument(JSON.stringify(broken));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const paths = parsed.problems.map((p) => p.path);
    expect(paths).toContain('steps[1].position.x');
    expect(paths).toContain('steps[0].id');
  });

  it('refuses a file from a newer Fluxo with a message that says to update', () => {
    const parsed = parseDocument(JSON.stringify({ ...JSON.parse(frozenV1), version: 9 }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(/newer Fluxo.*version 9/);
  });

  it('refuses a JSON file that is not a pipeline', () => {
    const parsed = parseDocument('{"name": "package"}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(/not a Fluxo pipeline/);
  });

  it('runs migrations in sequence from the file version to the current one', () => {
    const table = {
      1: (raw: Record<string, unknown>) => ({ ...raw, renamed: raw.old }),
      2: (raw: Record<string, unknown>) => ({ ...raw, third: true }),
    };
    const out = migrate({ format: 'fluxo-pipeline', version: 1, old: 'kept' }, table, 3);
    expect(out).toEqual({ ok: true, from: 1, raw: { format: 'fluxo-pipeline', version: 3, old: 'kept', renamed: 'kept', third: true } });
    const gap = migrate({ format: 'fluxo-pipeline', version: 1 }, { 2: (r) => r }, 3);
    expect(gap.ok).toBe(false);
  });

  it('keeps the committed JSON Schema in step with the zod schema', () => {
    const committed = JSON.parse(readFileSync(path.join(root, `resources/schema/pipeline-v${DOCUMENT_VERSION}.schema.json`), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(documentJsonSchema())));
  });
});

describe('JSON Schema for other tools', () => {
  it('accepts the frozen v1 file with the frozen v1 schema and rejects a broken one', async () => {
    const { default: Ajv2020 } = await import('ajv/dist/2020');
    const { default: addFormats } = await import('ajv-formats');
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(path.join(root, 'resources/schema/pipeline-v1.schema.json'), 'utf8')));
    expect(validate(JSON.parse(frozenV1))).toBe(true);
    const noName = JSON.parse(frozenV1);
    delete noName.metadata.name;
    expect(validate(noName)).toBe(false);
    const badDate = JSON.parse(frozenV1);
    badDate.metadata.created = 'last Tuesday';
    expect(validate(badDate)).toBe(false);
  });

  it('accepts a migrated document with resources and a sweep under the current schema', async () => {
    const { default: Ajv2020 } = await import('ajv/dist/2020');
    const { default: addFormats } = await import('ajv-formats');
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const validate = ajv.compile(documentJsonSchema());
    const parsed = parseDocument(frozenV1);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.migratedFrom).toBe(1);
    const doc = parsed.document;
    doc.steps[0]!.resources = { memoryMb: 8192, partition: 'gpu' };
    doc.steps[0]!.sweep = { values: { seed: [1, 2, 3] }, maxParallel: 2 };
    const text = serializeDocument(doc);
    expect(validate(JSON.parse(text))).toBe(true);
    const again = parseDocument(text);
    expect(again.ok && again.document.steps[0]).toMatchObject({ resources: { memoryMb: 8192, partition: 'gpu' }, sweep: { values: { seed: [1, 2, 3] }, maxParallel: 2 } });
    const badSweep = JSON.parse(text);
    badSweep.steps[0].sweep.values.seed = [];
    expect(validate(badSweep)).toBe(false);
  });
});
