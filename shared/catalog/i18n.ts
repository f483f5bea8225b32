import { z } from 'zod';

/**
 * Translations of a block's user-visible text, kept beside the English in block.yaml:
 *
 *   i18n:
 *     es: { title: ..., description: ..., help: ..., inputs: { data: { title: ... } },
 *           params: { model: { title: ..., help: ..., choices: { lr: ... } } } }
 *
 * Ids, formats and values are never translated: only what a person reads. Every field is
 * optional; what is missing falls back to the English of the definition.
 */
export const BLOCK_LANGUAGES = ['es', 'gl'] as const;
export type BlockLanguage = (typeof BLOCK_LANGUAGES)[number];

const zText = z.string().trim().min(1, 'must not be empty');
// Keys name ports and params of the same definition; checkDefinition verifies they exist.
const zKey = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be the id of a port or param of this block');

const zPortText = z.strictObject({ title: zText.optional(), description: zText.optional() });
const zParamText = z.strictObject({
  title: zText.optional(),
  help: zText.optional(),
  /** Choice value → its label. */
  choices: z.record(z.string().min(1), zText).optional(),
});

export const zBlockTranslation = z.strictObject({
  title: zText.max(60).optional(),
  description: zText.max(200).optional(),
  help: zText.optional(),
  /** Why the block needs a cluster or GPUs (requires.reason). */
  reason: zText.optional(),
  inputs: z.record(zKey, zPortText).optional(),
  outputs: z.record(zKey, zPortText).optional(),
  params: z.record(zKey, zParamText).optional(),
});
export type BlockTranslation = z.infer<typeof zBlockTranslation>;

export const zBlockI18n = z.strictObject({ es: zBlockTranslation.optional(), gl: zBlockTranslation.optional() });
export type BlockI18n = z.infer<typeof zBlockI18n>;

/** The parts of a definition localizeBlock reads and rewrites. */
interface Localizable {
  title: string;
  description: string;
  help: string;
  inputs: ReadonlyArray<{ id: string; title: string; description: string }>;
  outputs: ReadonlyArray<{ id: string; title: string; description: string }>;
  params: ReadonlyArray<{ id: string; title: string; help: string; type: string }>;
  requires: { reason: string };
  i18n?: BlockI18n | undefined;
}

function isBlockLanguage(lang: string): lang is BlockLanguage {
  return (BLOCK_LANGUAGES as readonly string[]).includes(lang);
}

/**
 * The block as a reader of `lang` sees it: every translated field replaced, every missing one left
 * in English. Pure; returns the same object for English or when nothing is translated.
 */
export function localizeBlock<B extends Localizable>(block: B, lang: string): B {
  if (!isBlockLanguage(lang)) return block;
  const tr = block.i18n?.[lang];
  if (!tr) return block;
  const port = <P extends { id: string; title: string; description: string }>(p: P, texts: Record<string, { title?: string | undefined; description?: string | undefined }> | undefined): P => {
    const t = texts?.[p.id];
    return t ? { ...p, title: t.title ?? p.title, description: t.description ?? p.description } : p;
  };
  return {
    ...block,
    title: tr.title ?? block.title,
    description: tr.description ?? block.description,
    help: tr.help ?? block.help,
    requires: { ...block.requires, reason: tr.reason ?? block.requires.reason },
    inputs: block.inputs.map((p) => port(p, tr.inputs)),
    outputs: block.outputs.map((p) => port(p, tr.outputs)),
    params: block.params.map((p) => {
      const t = tr.params?.[p.id];
      if (!t) return p;
      const out: Record<string, unknown> = { ...p, title: t.title ?? p.title, help: t.help ?? p.help };
      const choices = (p as { choices?: Array<{ value: string; title: string }> }).choices;
      if (choices && t.choices) out.choices = choices.map((c) => ({ ...c, title: t.choices?.[c.value] ?? c.title }));
      return out as typeof p;
    }),
  };
}

/** Keys of a translation that name no port, param or choice of the block ("i18n.es.params.x"). */
export function unknownTranslationKeys(block: {
  inputs: ReadonlyArray<{ id: string }>;
  outputs: ReadonlyArray<{ id: string }>;
  params: ReadonlyArray<{ id: string; choices?: ReadonlyArray<{ value: string }> | undefined }>;
  i18n?: BlockI18n | undefined;
}): Array<{ field: string; message: string }> {
  const found: Array<{ field: string; message: string }> = [];
  for (const lang of BLOCK_LANGUAGES) {
    const tr = block.i18n?.[lang];
    if (!tr) continue;
    const check = (kind: 'inputs' | 'outputs' | 'params', ids: Set<string>) => {
      for (const id of Object.keys(tr[kind] ?? {})) {
        if (!ids.has(id)) found.push({ field: `i18n.${lang}.${kind}.${id}`, message: `translates unknown ${kind.slice(0, -1)} "${id}"` });
      }
    };
    check('inputs', new Set(block.inputs.map((p) => p.id)));
    check('outputs', new Set(block.outputs.map((p) => p.id)));
    check('params', new Set(block.params.map((p) => p.id)));
    for (const [id, t] of Object.entries(tr.params ?? {})) {
      const param = block.params.find((p) => p.id === id);
      if (!param || !t.choices) continue;
      const values = new Set((param.choices ?? []).map((c) => c.value));
      for (const v of Object.keys(t.choices)) {
        if (!values.has(v)) found.push({ field: `i18n.${lang}.params.${id}.choices.${v}`, message: `translates unknown choice "${v}" of param "${id}"` });
      }
    }
  }
  return found;
}

/**
 * User-visible English fields of a block a translation to `lang` leaves out, as dotted paths
 * ("params.model.choices.lr"). Empty when the translation is complete.
 */
export function missingTranslations(block: Localizable & { params: ReadonlyArray<{ id: string; help: string; choices?: ReadonlyArray<{ value: string }> | undefined }> }, lang: BlockLanguage): string[] {
  const tr = block.i18n?.[lang];
  const missing: string[] = [];
  const need = (english: string, translated: string | undefined, path: string) => {
    if (english.trim() && !translated?.trim()) missing.push(path);
  };
  need(block.title, tr?.title, 'title');
  need(block.description, tr?.description, 'description');
  need(block.help, tr?.help, 'help');
  need(block.requires.reason, tr?.reason, 'reason');
  for (const kind of ['inputs', 'outputs'] as const) {
    for (const p of block[kind]) {
      need(p.title, tr?.[kind]?.[p.id]?.title, `${kind}.${p.id}.title`);
      need(p.description, tr?.[kind]?.[p.id]?.description, `${kind}.${p.id}.description`);
    }
  }
  for (const p of block.params) {
    const t = tr?.params?.[p.id];
    need(p.title, t?.title, `params.${p.id}.title`);
    need(p.help, t?.help, `params.${p.id}.help`);
    for (const c of p.choices ?? []) need((c as { title?: string }).title ?? '', t?.choices?.[c.value], `params.${p.id}.choices.${c.value}`);
  }
  return missing;
}

/** Translations of an example's title and description (resources/examples/index.json). */
const zExampleText = z.strictObject({ title: zText.optional(), description: zText.optional() });
export const zExampleI18n = z.strictObject({ es: zExampleText.optional(), gl: zExampleText.optional() });
export type ExampleI18n = z.infer<typeof zExampleI18n>;

/** The example as a reader of `lang` sees it; English per missing field. */
export function localizeExample<E extends { title: string; description: string; i18n?: ExampleI18n | undefined }>(example: E, lang: string): E {
  if (!isBlockLanguage(lang)) return example;
  const tr = example.i18n?.[lang];
  return tr ? { ...example, title: tr.title ?? example.title, description: tr.description ?? example.description } : example;
}
