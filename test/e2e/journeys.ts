import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestInfo } from '@playwright/test';
import type { FluxoApp } from './fixtures';
import { expect, snap } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { StartPage } from './pages/StartPage';

/** The results of a finished run: metrics cards, the ROC figure and the sandboxed report. */
async function expectClassifierResults(editor: EditorPage): Promise<number> {
  await expect(editor.results).toBeVisible();
  const auc = editor.metricValue('ROC AUC');
  await expect(auc).toBeVisible();
  const value = Number.parseFloat((await auc.textContent()) ?? '');
  expect(value).toBeGreaterThan(0.9);
  await expect(editor.metricValue('Accuracy')).toHaveText(/^\d+(\.\d)? %$/);

  const roc = editor.results.getByRole('img', { name: 'ROC curve', exact: true });
  await expect(roc).toBeVisible();
  await expect.poll(() => roc.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);

  const report = editor.results.locator('iframe[title="Report"]');
  await expect(report).toHaveCount(1);
  await expect(report).toHaveAttribute('sandbox', '');
  await expect(editor.page.frameLocator('iframe[title="Report"]').getByRole('heading', { level: 1 })).toBeVisible();
  return value;
}

/** (a) A first look: open the shipped example, run it, read the results. */
export async function exampleJourney(app: FluxoApp, testInfo: TestInfo): Promise<void> {
  const { page } = app;
  const start = new StartPage(page);
  await start.expectShown();
  await snap(page, testInfo, 'start');

  await start.openExample('Breast cancer classifier');
  const editor = new EditorPage(page);
  await editor.expectShown();
  for (const id of ['dataset', 'split', 'train', 'evaluate', 'report']) await expect(editor.step(id)).toBeVisible();
  await expect(editor.step('split')).toHaveAttribute('aria-label', 'Split train/test');
  await expect(page).toHaveTitle(/Breast cancer classifier — Fluxo/);
  await snap(page, testInfo, 'example-editor');

  await editor.run();
  await expect(page.getByRole('button', { name: 'Cancel', exact: true })).toBeVisible();
  await expect(editor.runLog).toBeVisible();
  // The run exists once the log offers its steps (the Python check before it can take a moment).
  await expect(editor.runLog.getByLabel('Step', { exact: true })).toBeVisible();
  await snap(page, testInfo, 'example-running');

  await editor.waitForRun('completed');
  for (const id of ['dataset', 'split', 'train', 'evaluate', 'report']) await expect(editor.step(id).getByText('Completed', { exact: true })).toBeVisible();
  await expectClassifierResults(editor);
  await snap(page, testInfo, 'example-results');
  await page.getByRole('button', { name: 'Enlarge panel' }).click();
  await editor.results.getByRole('img', { name: 'ROC curve', exact: true }).scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'example-figures');
  const report = editor.results.locator('iframe[title="Report"]');
  await report.scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'example-report', report);
  await expect(editor.results.getByText(/^Run folder:/)).toContainText(path.join(app.home, 'runs'));
}

/** (b) A new user builds the same pipeline by hand, sets a param, saves, and runs it. */
export async function newUserJourney(app: FluxoApp, testInfo: TestInfo): Promise<void> {
  const { page } = app;
  const start = new StartPage(page);
  await start.expectShown();
  // A first-time user takes the tour before building anything.
  await expect(start.tourInvitation).toBeVisible();
  await start.tourInvitation.getByRole('button', { name: 'Take the tour' }).click();
  for (const [i, title] of ['1. Pick blocks', '2. Connect the steps', '3. Change the settings', '4. Run it'].entries()) {
    const callout = page.getByRole('dialog', { name: title });
    await expect(callout).toBeVisible();
    if (i === 0) await snap(page, testInfo, 'new-tour');
    await callout.getByRole('button', { name: i === 3 ? 'Finish' : 'Next' }).click();
  }
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.getByRole('button', { name: 'Back to start', exact: true }).click();
  await start.expectShown();
  await start.newPipeline();

  const editor = new EditorPage(page);
  await editor.expectShown();
  await expect(editor.runButton).toBeDisabled();
  await snap(page, testInfo, 'new-empty');

  const blocks: Array<[string, string]> = [
    ['Clinical dataset', 'dataset'],
    ['Split train/test', 'split'],
    ['Train classifier', 'train'],
    ['Evaluate classifier', 'evaluate'],
    ['Report', 'report'],
  ];
  for (const [title, id] of blocks) {
    await editor.addBlock(title);
    await expect(editor.step(id)).toBeVisible();
    await expect(editor.step(id)).toHaveAttribute('aria-label', title);
  }
  await expect(editor.handle('split', 'out', 'train')).toHaveAttribute('aria-label', 'Output Train (table.csv)');
  await snap(page, testInfo, 'new-blocks');

  // Dragging a palette item onto the canvas adds it there; Delete removes the selected step.
  await editor.palette.getByRole('button', { name: 'Load CSV', exact: true }).dragTo(editor.canvas, { targetPosition: { x: 120, y: 80 } });
  await expect(editor.step('csv')).toBeVisible();
  await editor.selectStep('csv');
  await expect(editor.inspector.getByRole('button', { name: 'Browse for File' })).toBeVisible();
  await page.keyboard.press('Delete');
  await expect(editor.step('csv')).toHaveCount(0);

  // A table cannot go where a model is expected: refused, with the reason in words.
  await editor.connect(['split', 'train'], ['evaluate', 'model']);
  const refusal = page.getByRole('alert').filter({ hasText: 'These ports cannot be connected' });
  await expect(refusal).toContainText('Model of Evaluate classifier needs a trained scikit-learn model, but Train of Split train/test gives a table (CSV)');
  await expect(editor.edge(['split', 'train'], ['evaluate', 'model'])).toHaveCount(0);
  await snap(page, testInfo, 'new-incompatible');
  await refusal.getByRole('button', { name: 'Dismiss' }).click();

  const wires: Array<[[string, string], [string, string]]> = [
    [['dataset', 'table'], ['split', 'table']],
    [['split', 'train'], ['train', 'train']],
    [['split', 'test'], ['evaluate', 'test']],
    [['train', 'model'], ['evaluate', 'model']],
    [['evaluate', 'metrics'], ['report', 'metrics']],
    [['evaluate', 'roc_curve'], ['report', 'roc_curve']],
    [['evaluate', 'confusion_matrix'], ['report', 'confusion_matrix']],
  ];
  for (const [from, to] of wires) {
    await editor.connect(from, to);
    await expect(editor.edge(from, to)).toHaveCount(1);
  }
  await expect(editor.runButton).toBeEnabled();
  await snap(page, testInfo, 'new-connected');

  // The form comes from the block definition; Number of trees only shows for a random forest.
  await editor.selectStep('train');
  await expect(editor.field('Regularisation (C)')).toBeVisible();
  await expect(editor.field('Number of trees')).toHaveCount(0);
  await editor.inspector.getByRole('radio', { name: 'Random forest' }).check();
  await expect(editor.field('Regularisation (C)')).toHaveCount(0);
  const trees = editor.field('Number of trees');
  await expect(trees).toHaveValue('200');
  await trees.fill('5');
  await expect(trees).toHaveAttribute('aria-invalid', 'true');
  await expect(editor.inspector.getByText('Number of trees must be at least 10 (it is 5)')).toBeVisible();
  await expect(editor.runButton).toBeDisabled();
  await trees.fill('100');
  await expect(trees).toHaveAttribute('aria-invalid', 'false');
  await snap(page, testInfo, 'new-inspector');

  await page.getByLabel('Pipeline name', { exact: true }).fill('My first classifier');
  await expect(page).toHaveTitle('• My first classifier — Fluxo');
  await editor.saveAs('my-first-classifier', () => snap(page, testInfo, 'new-save-dialog'));
  await expect(page).toHaveTitle('My first classifier — Fluxo');

  const file = path.join(app.home, 'pipelines', 'my-first-classifier.fluxo');
  await expect.poll(() => existsSync(file)).toBe(true);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as {
    format: string;
    metadata: { name: string };
    steps: Array<{ id: string; type: string; params: Record<string, unknown> }>;
    connections: unknown[];
  };
  expect(saved.format).toBe('fluxo-pipeline');
  expect(saved.metadata.name).toBe('My first classifier');
  expect(saved.steps.map((s) => s.id)).toEqual(['dataset', 'split', 'train', 'evaluate', 'report']);
  expect(saved.steps.find((s) => s.id === 'train')?.params).toMatchObject({ model: 'random_forest', n_estimators: 100 });
  expect(saved.connections).toHaveLength(wires.length);

  await editor.run();
  await editor.waitForRun('completed');
  await expectClassifierResults(editor);
  await snap(page, testInfo, 'new-results');

  await page.getByRole('tab', { name: 'Log' }).click();
  await page.getByLabel('Step', { exact: true }).selectOption({ label: 'Train classifier — Completed' });
  await expect(editor.runLog.locator('pre')).not.toBeEmpty();
  await snap(page, testInfo, 'new-log');

  // Reopen from disk through the in-app dialog.
  await page.getByRole('button', { name: 'Open…', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Open pipeline' });
  await dialog.getByRole('button', { name: 'my-first-classifier.fluxo' }).click();
  await expect(dialog.getByLabel('File path', { exact: true })).toHaveValue(file);
  await snap(page, testInfo, 'new-open-dialog');
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByLabel('Pipeline name', { exact: true })).toHaveValue('My first classifier');
  await expect(editor.step('train')).toBeVisible();
  await editor.selectStep('train');
  await expect(editor.field('Number of trees')).toHaveValue('100');

  if (app.host === 'browser') {
    // A link with ?open=<path> opens that file on start (the token cookie set at first load authenticates).
    await page.goto(new URL(`/?open=${encodeURIComponent(file)}`, page.url()).href);
    await expect(page.getByLabel('Pipeline name', { exact: true })).toHaveValue('My first classifier');
    await expect(editor.step('report')).toBeVisible();
  }
}
