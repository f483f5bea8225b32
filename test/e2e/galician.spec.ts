import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { expect, snap, test } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { LanguagePicker } from './pages/LanguagePicker';
import { StartPage } from './pages/StartPage';

// The strings are read from the app's own locale files and definitions, never copied here.
const json = <T>(file: string): T => JSON.parse(readFileSync(path.resolve(file), 'utf8')) as T;
const glCommon = json<{ language: string }>('renderer/i18n/locales/gl/common.json');
const glApp = json<{ fileDialog: Record<string, string> }>('renderer/i18n/locales/gl/app.json');
const glCatalog = json<{ category: Record<string, string> }>('renderer/i18n/locales/gl/catalog.json');
const glEditor = json<{ run: string; runOn: string; open: string }>('renderer/i18n/locales/gl/editor.json');
const glRun = json<{ preflight: { run: string } }>('renderer/i18n/locales/gl/run.json');
const examples = json<Array<{ id: string; title: string; i18n: { gl: { title: string; description: string } } }>>('resources/examples/index.json');

interface Translated {
  title: string;
  description: string;
  help?: string;
  inputs?: Record<string, { title: string }>;
  outputs?: Record<string, { title: string }>;
  params?: Record<string, { title: string; help?: string }>;
}

/** The Galician text of the shipped blocks, read from their definitions as the app reads them. */
function galicianBlocks(): Record<string, Translated> {
  const dir = path.resolve('resources/blocks');
  const out: Record<string, Translated> = {};
  for (const id of readdirSync(dir)) {
    const def = parseYaml(readFileSync(path.join(dir, id, 'block.yaml'), 'utf8')) as { i18n?: { gl?: Translated } };
    if (def.i18n?.gl) out[id] = def.i18n.gl;
  }
  return out;
}

test('the whole basic journey in Galician: choose Galego, open the breast cancer example, run it on This computer, read the results', async ({ fluxo }, testInfo) => {
  test.setTimeout(180_000);
  const { page } = fluxo;
  const gl = galicianBlocks();
  const example = examples.find((e) => e.id === 'breast-cancer-classifier')!;

  const start = new StartPage(page);
  await start.expectShown();
  await new LanguagePicker(page).choose('Galego', 'gl');

  // The start screen, at once and without a reload: labels, example titles and descriptions.
  await expect(page.getByText(glCommon.language, { exact: true })).toBeVisible();
  const card = page.getByRole('article', { name: example.i18n.gl.title, exact: true });
  await expect(card).toBeVisible();
  await expect(card.getByText(example.i18n.gl.description)).toBeVisible();
  for (const other of examples) await expect(page.getByRole('heading', { name: other.title, exact: true })).toHaveCount(0);
  await snap(page, testInfo, 'gl-start');

  await card.getByRole('button').click();
  const editor = new EditorPage(page);
  await expect(editor.step('train')).toBeVisible();
  // Step nodes are named by their (Galician) block titles; the palette groups blocks in Galician.
  await expect(editor.step('split')).toContainText(gl['split-train-test']!.title);
  await expect(editor.step('evaluate')).toContainText(gl['evaluate-classifier']!.title);
  await expect(editor.step('evaluate')).toContainText(gl['evaluate-classifier']!.outputs!.roc_curve!.title);
  for (const category of Object.values(glCatalog.category)) await expect(page.getByText(category, { exact: true }).first()).toBeVisible();
  await expect(page.getByRole('button', { name: gl['load-csv']!.title, exact: true })).toBeVisible();
  // The toolbar's picker already says Galego: the choice holds across screens.
  await expect(new LanguagePicker(page, page.locator('.toolbar')).select).toHaveValue('gl');
  await snap(page, testInfo, 'gl-editor');

  // The inspector: the block's description, its settings and its help, in Galician.
  await editor.step('train').locator('.step-node-header').click();
  const train = gl['train-classifier']!;
  await expect(editor.inspector.getByText(train.description, { exact: true })).toBeVisible();
  await expect(editor.inspector.getByLabel(train.params!.target_column!.title, { exact: true })).toBeVisible();
  await expect(editor.inspector.getByRole('group', { name: train.params!.model!.title, exact: true })).toBeVisible();
  await snap(page, testInfo, 'gl-inspector');

  // Run on This computer (the default target): Run, then the pre-flight's confirmation, in Galician.
  await expect(page.getByLabel(glEditor.runOn, { exact: true })).toHaveValue('local');
  const run = page.getByRole('button', { name: glEditor.run, exact: true });
  await expect(run).toBeEnabled();
  await run.click();
  await page.getByRole('button', { name: glRun.preflight.run, exact: true }).click();
  await expect(page.locator('.run-status.completed')).toBeVisible({ timeout: 150_000 });
  for (const id of ['dataset', 'split', 'train', 'evaluate', 'report']) await expect(page.getByTestId(`state-${id}`)).toHaveClass(/state-completed/);

  // The results: output titles come from the Galician block definitions.
  await page.getByRole('tab').nth(2).click();
  const evaluate = gl['evaluate-classifier']!;
  const results = page.locator('.results');
  await expect(results.getByRole('img', { name: evaluate.outputs!.roc_curve!.title, exact: true })).toBeVisible();
  await expect(results.getByText(evaluate.outputs!.confusion_matrix!.title, { exact: true }).first()).toBeVisible();
  await expect(results.getByText(evaluate.outputs!.metrics!.title, { exact: true }).first()).toBeVisible();
  await snap(page, testInfo, 'gl-results');

  // The in-app dialogs of this area speak Galician too.
  await page.getByRole('button', { name: glEditor.open, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByLabel(glApp.fileDialog.filePath!, { exact: true })).toBeVisible();
  await expect(dialog.getByRole('button', { name: glApp.fileDialog.upLabel! })).toBeVisible();
  await expect(dialog.getByRole('button', { name: glApp.fileDialog.open!, exact: true })).toBeVisible();
  await snap(page, testInfo, 'gl-open-dialog');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.locator('html')).toHaveAttribute('lang', 'gl');
});
