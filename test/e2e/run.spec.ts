import { writeFileSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { RunPage } from './pages/RunPage';
import { StartPage } from './pages/StartPage';

/** Serious and critical accessibility violations in the run area's part of the screen (none expected). */
async function expectAccessible(page: Page, selector: string): Promise<void> {
  const result = await new AxeBuilder({ page }).include(selector).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad).toEqual([]);
}

test('Run shows a short pre-flight, then live step states and a streaming log; two runs are listed, one reopened read-only, and compared', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const start = new StartPage(page);
  await start.expectShown();
  await start.openExample('Breast cancer classifier');
  const editor = new EditorPage(page);
  await editor.expectShown();
  // A name of its own, so the history lists only this test's runs on a shared host.
  const name = `Run history ${testInfo.project.name} ${Date.now()}`;
  await page.getByLabel('Pipeline name', { exact: true }).fill(name);

  const run = new RunPage(page);
  await run.pressRun();
  await expect(run.preflight).toContainText('steps run on this computer');
  await snap(page, testInfo, 'run-preflight-local');
  await run.preflight.getByText('Resources per step').click();
  await expect(run.preflight.getByTestId('preflight-step-train')).toBeVisible();
  await snap(page, testInfo, 'run-preflight-local-details');
  await expectAccessible(page, '.preflight-dialog');
  await run.runNow();

  // Live: some step is shown running while the run goes on, and its log streams in.
  await expect(run.steps.getByText('Running', { exact: true }).first()).toBeVisible({ timeout: 30_000 });
  await snap(page, testInfo, 'run-panel-running');
  // What the steps print streams into the log (the last step's lines once it has run).
  await expect(run.logText).not.toContainText('No output yet.', { timeout: 60_000 });
  await editor.waitForRun('completed');
  await run.showTab('Log');
  await expect(run.stepRow('report')).toContainText('Completed');
  await snap(page, testInfo, 'run-panel-completed');
  await expectAccessible(page, '.bottom-panel');

  // A second run with another model, so the two runs' metrics differ.
  await editor.selectStep('train');
  await editor.inspector.getByRole('radio', { name: 'Random forest' }).check();
  await run.pressRun();
  await run.runNow();
  await editor.waitForRun('completed');

  await run.showTab('History');
  await expect(run.historyRows()).toHaveCount(2);
  await expect(run.historyRows().first()).toContainText('Completed');
  await expect(run.historyRows().first()).toContainText('This computer');
  await snap(page, testInfo, 'run-history');
  await expectAccessible(page, '.bottom-panel');

  await run.history.getByRole('checkbox').nth(0).check();
  await run.history.getByRole('checkbox').nth(1).check();
  await run.history.getByRole('button', { name: 'Compare two runs' }).click();
  await expect(run.compare).toBeVisible();
  await expect(run.compare.getByTestId('compare-accuracy')).toBeVisible();
  await expect(run.compare.getByTestId('compare-roc_auc')).toContainText(/better|Same/);
  await expect(run.compare.getByTestId('compare-changes')).toContainText('Train classifier › Model: Logistic regression → Random forest');
  await snap(page, testInfo, 'run-compare');
  await expectAccessible(page, '.compare-dialog');
  await run.compare.getByRole('button', { name: 'Close' }).click();

  // The older run, as it ran: logistic regression, read-only.
  await run.history.getByRole('button', { name: /^Open the run of/ }).nth(1).click();
  await expect(run.pastRunBanner).toBeVisible();
  await expect(run.pastRunBanner).toContainText('it cannot be changed');
  await editor.selectStep('train');
  await expect(editor.inspector.getByRole('radio', { name: 'Logistic regression' })).toBeChecked();
  await expect(editor.runButton).toBeDisabled();
  await snap(page, testInfo, 'run-past-read-only');
  await expectAccessible(page, '[data-testid="past-run-banner"]');
  await run.pastRunBanner.getByRole('button', { name: 'Back to my pipeline' }).click();
  await expect(run.pastRunBanner).toBeHidden();
  await expect(page.getByLabel('Pipeline name', { exact: true })).toHaveValue(name);
});

test('a failed local run is explained with its log, and one click reruns it from the failed step once fixed', async ({ fluxo }, testInfo) => {
  const { page, home } = fluxo;
  const data = path.join(home, `run-spec-${Date.now()}.csv`);
  const rows = Array.from({ length: 40 }, (_, i) => `${i},${(i * 5) % 11},${i % 2}`);
  writeFileSync(data, `age,marker,target\n${rows.join('\n')}\n`);

  await new StartPage(page).newPipeline();
  const editor = new EditorPage(page);
  await editor.addBlock('Load CSV');
  await editor.selectStep('csv');
  await editor.field('File').fill(path.join(home, 'missing-measurements.csv'));
  const run = new RunPage(page);
  await run.pressRun();
  await run.runNow();
  await editor.waitForRun('failed');

  const failure = run.failure('csv');
  await expect(failure).toContainText('Step “Load CSV” failed');
  await failure.getByText('How we know').click();
  await expect(failure.locator('.failure-evidence')).toContainText('missing-measurements.csv');
  await snap(page, testInfo, 'run-failure-explained');
  await expectAccessible(page, '.bottom-panel');

  await expect(failure).toContainText('does not exist');
  await editor.field('File').fill(data);

  // On a cluster, pre-flight would say what goes up and what it may cost (no connection needed).
  await page.getByLabel('Run on', { exact: true }).selectOption({ label: 'Test cluster (loopback)' });
  await run.pressRun();
  await expect(run.preflight.getByTestId('preflight-upload')).toContainText('1 file');
  await expect(run.preflight.getByTestId('preflight-cost')).toContainText('core-hours');
  await snap(page, testInfo, 'run-preflight-cluster');
  await expectAccessible(page, '.preflight-dialog');
  await run.preflight.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(run.preflight).toBeHidden();
  await page.getByLabel('Run on', { exact: true }).selectOption({ label: 'This computer' });

  await failure.getByRole('button', { name: 'Rerun from here' }).click();
  await editor.waitForRun('completed');
  await expect(run.failure('csv')).toHaveCount(0);
  await snap(page, testInfo, 'run-failure-fixed');
});

test('Cancel asks before stopping a run, and the run then says it was cancelled', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const start = new StartPage(page);
  await start.expectShown();
  await start.openExample('Breast cancer classifier');
  const editor = new EditorPage(page);
  await editor.expectShown();
  const run = new RunPage(page);
  await run.pressRun();
  await run.runNow();
  await expect(run.steps.getByText('Running', { exact: true }).first()).toBeVisible({ timeout: 30_000 });

  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  const confirm = page.getByRole('dialog', { name: 'Cancel the run?' });
  await expect(confirm).toBeVisible();
  await snap(page, testInfo, 'run-cancel-confirm');
  await confirm.getByRole('button', { name: 'Cancel the run', exact: true }).click();
  await editor.waitForRun('cancelled');
  await expect(run.steps).toContainText('Cancelled');
  await snap(page, testInfo, 'run-cancelled');
  await expectAccessible(page, '.bottom-panel');
});
