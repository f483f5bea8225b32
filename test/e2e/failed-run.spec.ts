import { expect, snap, test } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { StartPage } from './pages/StartPage';

test('a step that fails ends the run with the step named and its log shown', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const start = new StartPage(page);
  await start.expectShown();
  await start.newPipeline();
  const editor = new EditorPage(page);
  await editor.addBlock('Load CSV');

  // A required path left empty is a problem; the Problems list says so and selects the step.
  await expect(editor.runButton).toBeDisabled();
  await page.getByRole('button', { name: 'Load CSV: File is required' }).click();
  await expect(editor.inspector.getByRole('heading', { level: 2, name: 'Load CSV' })).toBeVisible();

  await editor.field('File').fill('/nonexistent/measurements.csv');
  await editor.run();
  await editor.waitForRun('failed');
  await expect(page.getByRole('status').filter({ hasText: 'Run failed' })).toContainText('step “Load CSV” failed');
  await expect(editor.step('csv').getByText('Failed', { exact: true })).toBeVisible();
  await expect(editor.runLog.locator('pre')).toContainText('measurements.csv');
  await snap(page, testInfo, 'failed-run');
});
