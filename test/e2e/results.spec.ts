import type { Page } from '@playwright/test';
import { statSync } from 'node:fs';
import { expect, snap, test } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { ResultsPage } from './pages/ResultsPage';
import { StartPage } from './pages/StartPage';

/** Opens a shipped example, runs it on this computer and opens the results, enlarged. */
async function runExample(page: Page, title: string, timeout = 110_000, change?: (editor: EditorPage) => Promise<void>): Promise<ResultsPage> {
  const start = new StartPage(page);
  await start.expectShown();
  await start.openExample(title);
  const editor = new EditorPage(page);
  await editor.expectShown();
  if (change) await change(editor);
  await editor.run();
  await editor.waitForRun('completed', timeout);
  const results = new ResultsPage(page);
  await expect(results.region).toBeVisible();
  await page.getByRole('button', { name: 'Enlarge panel' }).click();
  return results;
}

// Each test runs a real example on this computer (30-60 s on 2 busy cores) before looking at it.
test.describe.configure({ timeout: 240_000 });

test('the breast cancer results: a sortable paged table, metric cards, ROC/PR/calibration charts and a sandboxed report', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const results = await runExample(page, 'Breast cancer classifier');
  const editor = new EditorPage(page);

  // Metric cards, with the words existing journeys rely on.
  await expect(editor.metricValue('ROC AUC')).toHaveText(/^0\.9\d*$/);
  await expect(editor.metricValue('Accuracy')).toHaveText(/^\d+(\.\d)? %$/);
  await expect(editor.metricValue('Brier score')).toBeVisible();
  await results.step('Evaluate classifier').scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'results-metrics');

  // The three curves are drawn by the app from curves.json, each with a title and a text summary.
  const roc = results.chart('ROC curve');
  await results.expectChartDrawn(roc);
  const rocSummary = await roc.getAttribute('aria-describedby');
  await expect(page.locator(`[id="${rocSummary}"]`)).toHaveText(/^ROC curve, AUC 0\.9\d+$/);
  await expect(results.port('Evaluate classifier', 'ROC curve').getByRole('img', { name: 'ROC curve', exact: true })).toBeVisible();
  await roc.scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'results-roc', results.port('Evaluate classifier', 'ROC curve'));
  const pr = results.chart('Precision-recall curve');
  await results.expectChartDrawn(pr);
  await expect(pr).toContainText(/average precision 0\.9\d+/);
  await pr.scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'results-pr', results.port('Evaluate classifier', 'Precision-recall curve'));
  const calibration = results.chart('Calibration curve');
  await results.expectChartDrawn(calibration);
  await expect(calibration).toContainText(/Brier score 0\.\d+/);
  await calibration.scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'results-calibration', results.port('Evaluate classifier', 'Calibration curve'));

  // The dataset table: 569 rows, 50 a page, sorted by value with aria-sort on the header.
  const datasetPort = results.port('Clinical dataset', 'Table');
  const table = results.table('Clinical dataset', 'Table');
  await table.scrollIntoViewIfNeeded();
  await expect(datasetPort.getByText(/^569 rows\. Showing rows 1 to 50\.$/)).toBeVisible();
  await expect(table.locator('tbody tr')).toHaveCount(50);
  const header = table.getByRole('columnheader', { name: /^mean radius/ });
  await expect(header).toHaveAttribute('aria-sort', 'none');
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'ascending');
  const column = (await table.locator('thead th').allTextContents()).findIndex((h) => h.startsWith('mean radius'));
  const ascending = (await results.columnValues(table, column)).map(Number);
  expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
  expect(ascending[0]).toBeCloseTo(6.981, 3);
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'descending');
  const descending = (await results.columnValues(table, column)).map(Number);
  expect(descending[0]).toBeCloseTo(28.11, 2);
  expect(descending).toEqual([...descending].sort((a, b) => b - a));
  // Paging keeps the order: page 2 continues below page 1.
  const pager = datasetPort.getByRole('navigation', { name: /^Pages of/ });
  await pager.getByRole('button', { name: 'Next', exact: true }).click();
  await expect(pager.getByText('Page 2 of 12')).toBeVisible();
  const page2 = (await results.columnValues(table, column)).map(Number);
  expect(page2[0]).toBeLessThanOrEqual(descending.at(-1)!);
  await pager.getByRole('button', { name: 'Last', exact: true }).click();
  await expect(pager.getByText('Page 12 of 12')).toBeVisible();
  await expect(table.locator('tbody tr')).toHaveCount(19);
  await table.scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'results-table', datasetPort);

  // The report: shown in a sandbox without scripts, with a CSP of its own.
  const report = results.region.locator('iframe[title="Report"]');
  await expect(report).toHaveAttribute('sandbox', '');
  expect(await report.getAttribute('srcdoc')).toContain("default-src 'none'");
  await expect(page.frameLocator('iframe[title="Report"]').getByRole('heading', { level: 1 })).toBeVisible();

  expect(await results.accessibilityViolations()).toEqual([]);

  // Open the folder: a browser tab cannot, so the path is shown with a Copy button.
  await results.region.getByRole('button', { name: 'Open the folder', exact: true }).click();
  if (fluxo.host === 'browser') {
    await expect(results.region.getByRole('status').filter({ hasText: 'cannot open folders' })).toBeVisible();
    await expect(results.region.getByRole('button', { name: 'Copy the path', exact: true })).toBeVisible();
    await snap(page, testInfo, 'results-open-folder');
  }

  // Export: a .tar.gz written where the in-app dialog says.
  await results.region.getByRole('button', { name: 'Export…', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Export the results' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('radio', { name: /^\.tar\.gz/ }).check();
  const dest = await dialog.getByLabel('Save to', { exact: true }).inputValue();
  expect(dest).toMatch(/exports[\\/].+\.tar\.gz$/);
  await snap(page, testInfo, 'results-export-dialog');
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText(/files written to .*\.tar\.gz/)).toBeVisible();
  expect(statSync(dest).size).toBeGreaterThan(10_000);
});

test('the DICOM segmentation results: slices viewed with the slider and the keyboard, the mask drawn over them', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  // The journey: one param changed in the form before the run.
  const results = await runExample(page, 'DICOM lesion segmentation', 170_000, async (editor) => {
    await editor.selectStep('segment');
    await editor.field('Threshold').fill('0.6');
    await expect(editor.field('Threshold')).toHaveValue('0.6');
  });

  // The DICOM series as written by Sample CT series: 40 slices, in Hounsfield units.
  const series = results.port('Sample CT series', 'DICOM series');
  await series.scrollIntoViewIfNeeded();
  const slider = results.sliceSlider(series);
  await expect(slider).toBeVisible({ timeout: 30_000 });
  await expect(slider).toHaveAttribute('max', '40');
  await slider.fill('20');
  await expect(series.getByText('Slice 20 of 40', { exact: true }).first()).toBeVisible();
  await slider.focus();
  await page.keyboard.press('ArrowRight');
  await expect(slider).toHaveValue('21');
  await expect(series.locator('output')).toHaveText('Slice 21 of 40');
  await series.getByLabel('Contrast').selectOption({ label: 'Soft tissue (40/400)' });
  await snap(page, testInfo, 'results-dicom', series);

  // The mask of Segment by threshold over the preprocessed volume, starting on a slice with lesions.
  const mask = results.port('Segment by threshold', 'Mask');
  await mask.scrollIntoViewIfNeeded();
  const canvas = mask.getByRole('img', { name: /^Mask, slice \d+ of \d+$/ });
  await expect(canvas).toBeVisible({ timeout: 30_000 });
  await expect(mask.getByText(/labelled regions? on this slice/)).toBeVisible();
  await expect(mask.getByRole('list', { name: 'Labels on this slice' }).getByRole('listitem').first()).toHaveText(/^Label \d+: \d+ pixels?$/);
  const before = await mask.locator('output').textContent();
  await canvas.focus();
  await page.keyboard.press('PageUp');
  await expect(mask.locator('output')).not.toHaveText(before ?? '');
  await page.keyboard.press('PageDown');
  await expect(mask.locator('output')).toHaveText(before ?? '');
  await snap(page, testInfo, 'results-mask', mask);
  await mask.getByLabel('Show the mask').uncheck();
  await expect(mask.getByLabel('Show the mask')).not.toBeChecked();

  // The components table sorted by volume; the exported slices as pictures with a slider.
  const components = results.table('Segment by threshold', 'Components');
  await expect(components.locator('tbody tr')).toHaveCount(3);
  const slices = results.port('Export slices', 'Slices');
  await slices.scrollIntoViewIfNeeded();
  await expect(slices.getByRole('slider', { name: 'Picture' })).toBeVisible();
  await expect(slices.getByRole('img').first()).toBeVisible();
  await snap(page, testInfo, 'results-slices', slices);
  expect(await results.accessibilityViolations()).toEqual([]);
});

test('the sweep results: one metric across the array tasks, the outputs of each task by its sweep value, and the ranked comparison', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const results = await runExample(page, 'Breast cancer classifier: regularisation sweep', 170_000);

  // The evaluate step ran once per C: its metric across the four tasks, best marked in words.
  const evaluate = results.step('Evaluate classifier');
  const chart = evaluate.getByRole('group', { name: 'roc_auc across the sweep' });
  await results.expectChartDrawn(chart);
  await expect(chart).toContainText(/^.*4 sweep points; best: c = [\d.]+ with roc_auc 0\.9\d+ \(higher is better\)\./);
  await expect(chart.locator('.recharts-bar-rectangle')).toHaveCount(4);
  await chart.getByLabel('Metric').selectOption('brier');
  const brier = evaluate.getByRole('group', { name: 'brier across the sweep' });
  await expect(brier).toContainText('lower is better');
  await expect(brier.getByLabel('Metric').locator('option')).not.toContainText(['positive_class']);
  await brier.scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'results-sweep', brier);

  // Each port offers the tasks by their sweep values; picking one shows that task's file.
  const metrics = results.port('Evaluate classifier', 'Metrics');
  const picker = metrics.getByLabel('Sweep point');
  await expect(picker.locator('option')).toHaveText(['c = 0.01', 'c = 0.1', 'c = 1', 'c = 10']);
  await picker.selectOption({ label: 'c = 10' });
  await expect(metrics.locator('code')).toHaveText(/task-3\/metrics\.json$/);

  // Compare sweep: its ranked table and the same comparison drawn from best.json.
  const compare = results.step('Compare sweep');
  await expect(compare.getByRole('group', { name: 'roc_auc across the sweep' })).toBeVisible();
  await expect(results.table('Compare sweep', 'Comparison').locator('tbody tr')).toHaveCount(4);
  await compare.scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'results-compare', compare.getByRole('group', { name: 'roc_auc across the sweep' }));
  expect(await results.accessibilityViolations()).toEqual([]);
});
