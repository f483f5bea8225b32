import type { Page, TestInfo } from '@playwright/test';
import type { KnownViolation } from './a11y';
import { expectNoSeriousA11yViolations } from './a11y';
import { expect, snap, test } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { StartPage } from './pages/StartPage';

// The report is generated HTML in a sandboxed iframe without scripts: axe cannot run inside it.
const REPORT = 'iframe[title="Report"]';

/**
 * Serious violations found in areas other helpers own when this spec was written (issue 5), listed
 * so this spec guards everything else meanwhile. Remove an entry once its owner has fixed it.
 */
// Violations found in other areas and not fixed yet, each with where it is; empty when all are fixed.
const KNOWN: KnownViolation[] = [];

/**
 * Checks one screen and keeps going when it fails, so a single run lists the violations of every
 * screen; the test still fails at the end if any screen had one.
 */
async function check(page: Page, testInfo: TestInfo, label: string, exclude: string[] = []): Promise<void> {
  await snap(page, testInfo, `a11y-${label}`);
  await test.step(`axe: ${label}`, () => expectNoSeriousA11yViolations(page, label, { exclude, soft: true, known: KNOWN }));
}

async function showTab(page: Page, index: number): Promise<void> {
  const tab = page.getByRole('tablist', { name: 'Pipeline details' }).getByRole('tab').nth(index);
  await tab.click();
  await expect(tab).toHaveAttribute('aria-selected', 'true');
}

test('every screen of the basic journey has no serious or critical accessibility violation', async ({ fluxo }, testInfo) => {
  test.setTimeout(240_000);
  const { page } = fluxo;
  const start = new StartPage(page);
  await start.expectShown();
  await check(page, testInfo, 'start');

  await start.openExample('Breast cancer classifier');
  const editor = new EditorPage(page);
  await editor.expectShown();
  await expect(editor.step('train')).toBeVisible();
  await check(page, testInfo, 'editor');

  await editor.selectStep('train');
  await check(page, testInfo, 'inspector');

  for (const [i, name] of ['problems', 'log', 'results'].entries()) {
    await showTab(page, i);
    await check(page, testInfo, `panel-${name}`);
  }

  await page.getByRole('button', { name: 'Open…', exact: true }).click();
  const open = page.getByRole('dialog');
  await expect(open.locator('ul[aria-busy="false"]')).toHaveCount(1);
  await check(page, testInfo, 'open-dialog');
  await page.keyboard.press('Escape');
  await expect(open).toBeHidden();

  await page.getByRole('button', { name: 'Save as…', exact: true }).click();
  const saveAs = page.getByRole('dialog', { name: 'Save pipeline as' });
  await expect(saveAs.locator('ul[aria-busy="false"]')).toHaveCount(1);
  await check(page, testInfo, 'save-dialog');
  await saveAs.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(saveAs).toBeHidden();

  // An unsaved change, then New: the confirm dialog asks what to do with it.
  await page.getByLabel('Pipeline name', { exact: true }).fill('Renamed for the accessibility check');
  await page.getByRole('button', { name: 'New', exact: true }).click();
  const confirm = page.getByRole('dialog', { name: 'Save changes?' });
  await expect(confirm).toBeVisible();
  await check(page, testInfo, 'confirm-modal');
  await confirm.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(confirm).toBeHidden();

  await editor.run();
  await editor.waitForRun('completed');
  await showTab(page, 2);
  await expect(editor.results.locator(REPORT)).toHaveCount(1);
  await check(page, testInfo, 'results', [REPORT]);
  await showTab(page, 1);
  await check(page, testInfo, 'run-log');
  await editor.selectStep('evaluate');
  await check(page, testInfo, 'inspector-after-run', [REPORT]);
});
