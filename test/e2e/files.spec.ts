import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { expectNoSeriousViolations } from './pages/a11y.files';
import { StartPage } from './pages/StartPage';

/** The pipeline's name field in the toolbar. */
const nameField = (page: Page) => page.getByRole('toolbar', { name: 'Pipeline' }).getByLabel('Pipeline name', { exact: true });

/** Autosaves in <home>/autosave whose document has this pipeline name. */
function autosavesNamed(home: string, name: string): string[] {
  const dir = path.join(home, 'autosave');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.fluxo') && (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { metadata: { name: string } }).metadata.name === name);
}

test('recent files: a saved pipeline is listed, reopens with one click, and a deleted one shows as missing and can be removed', async ({ fluxo }, testInfo) => {
  const { page, home } = fluxo;
  const start = new StartPage(page);
  await start.expectShown();
  await start.openExample('Breast cancer classifier');
  const editor = new EditorPage(page);
  await editor.expectShown();
  await nameField(page).fill('Recent check');
  await editor.saveAs('recent-check');
  const file = path.join(home, 'pipelines', 'recent-check.fluxo');
  await expect.poll(() => existsSync(file)).toBe(true);

  await page.getByRole('button', { name: 'Back to start', exact: true }).click();
  await expect(start.recent).toBeVisible();
  await expect(start.recent.getByRole('button', { name: 'Open recent file Recent check' })).toContainText(file);
  await snap(page, testInfo, 'files-recent');

  await page.reload();
  await start.openRecent('Recent check');
  await expect(nameField(page)).toHaveValue('Recent check');
  await expect(page).toHaveTitle(/^Recent check — Fluxo/);

  rmSync(file);
  await page.reload();
  await expect(start.recent).toBeVisible();
  const missing = start.recent.getByRole('listitem').filter({ hasText: 'Recent check' });
  await expect(missing).toContainText('Missing');
  await expect(start.recent.getByRole('button', { name: 'Open recent file Recent check' })).toHaveCount(0);
  await snap(page, testInfo, 'files-recent-missing');
  await expectNoSeriousViolations(page, 'start screen with recent files');
  await start.recent.getByRole('button', { name: 'Remove Recent check from the recent files' }).click();
  await expect(missing).toHaveCount(0);
});

test('autosave: unsaved changes survive a reload and are restored, dirty, at their path; saving removes the copy', async ({ fluxo }, testInfo) => {
  const { page, home } = fluxo;
  // The reload would otherwise stop at "leave this page?" (the editor warns when changes are unsaved).
  page.on('dialog', (d) => void d.accept());
  const start = new StartPage(page);
  await start.expectShown();
  await start.openExample('Breast cancer classifier');
  const editor = new EditorPage(page);
  await editor.expectShown();
  await editor.saveAs('autosave-check');
  const file = path.join(home, 'pipelines', 'autosave-check.fluxo');
  await nameField(page).fill('Autosave check');
  await editor.selectStep('split');
  await editor.field('Test fraction').fill('0.3');
  await expect(page.getByText('Unsaved changes', { exact: true })).toBeAttached();

  // Written within a few seconds, without the user doing anything.
  await expect.poll(() => autosavesNamed(home, 'Autosave check').length, { timeout: 15_000 }).toBe(1);
  await page.reload();

  await expect(start.recovery).toBeVisible();
  await expect(start.recovery).toContainText('Fluxo closed before these changes were saved:');
  await expect(start.recovery).toContainText(file);
  await snap(page, testInfo, 'files-recovery');
  await expectNoSeriousViolations(page, 'start screen offering recovery');
  await start.recovery.getByRole('button', { name: 'Restore the unsaved changes to Autosave check' }).click();

  await editor.expectShown();
  await expect(nameField(page)).toHaveValue('Autosave check');
  await expect(page.getByText('Unsaved changes', { exact: true })).toBeAttached();
  await editor.selectStep('split');
  await expect(editor.field('Test fraction')).toHaveValue('0.3');
  await snap(page, testInfo, 'files-restored');

  // A clean save writes the file where it was and the autosave goes.
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect.poll(() => (JSON.parse(readFileSync(file, 'utf8')) as { metadata: { name: string } }).metadata.name).toBe('Autosave check');
  await expect.poll(() => autosavesNamed(home, 'Autosave check').length).toBe(0);
  await page.reload();
  await expect(start.heading).toBeVisible();
  // Other specs share this Fluxo home and may have left their own unsaved work: only ours must be gone.
  await expect(page.getByRole('button', { name: 'Restore the unsaved changes to Autosave check' })).toHaveCount(0);
});

test('the first-run tour: offered once, walks palette, canvas, inspector and Run, remembered once finished, restarted from "Take the tour"', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const start = new StartPage(page);
  await start.expectShown();
  await expect(start.tourInvitation).toBeVisible();
  await snap(page, testInfo, 'tour-invitation');
  await expectNoSeriousViolations(page, 'tour invitation');
  await start.tourInvitation.getByRole('button', { name: 'Take the tour' }).click();

  const steps = [
    ['1. Pick blocks', 'palette'],
    ['2. Connect the steps', 'canvas'],
    ['3. Change the settings', 'inspector'],
    ['4. Run it', 'run'],
  ] as const;
  for (const [i, [title, id]] of steps.entries()) {
    const callout = page.getByRole('dialog', { name: title });
    await expect(callout).toBeVisible();
    await expect(callout).toHaveAttribute('data-tour-step', id);
    // Keyboard: focus is in the callout, Enter on the focused button goes on.
    await expect(callout.getByRole('heading', { name: title })).toBeFocused();
    await snap(page, testInfo, `tour-${i + 1}-${id}`);
    if (i === 0) await expectNoSeriousViolations(page, 'tour callout', '.tour-callout');
    const next = callout.getByRole('button', { name: i === steps.length - 1 ? 'Finish' : 'Next' });
    await next.focus();
    await page.keyboard.press('Enter');
  }
  await expect(page.getByRole('dialog')).toHaveCount(0);

  await page.getByRole('button', { name: 'Back to start', exact: true }).click();
  await expect(start.tourInvitation).toHaveCount(0);
  await page.reload();
  await start.expectShown();
  await expect(start.tourInvitation).toHaveCount(0);

  await page.getByRole('button', { name: 'Take the tour', exact: true }).click();
  const first = page.getByRole('dialog', { name: '1. Pick blocks' });
  await expect(first).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(first).toHaveCount(0);
});

test('the start screen speaks Galician: actions, gallery and the tour invitation', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  await new StartPage(page).expectShown();
  await page.evaluate(() => localStorage.setItem('fluxo.language', 'gl'));
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Exemplos' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'É a túa primeira vez en Fluxo?' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Novo fluxo de traballo' })).toBeVisible();
  await expect(page.getByText(/^Execútase en: /).first()).toBeVisible();
  await snap(page, testInfo, 'start-gl');
  await page.evaluate(() => localStorage.removeItem('fluxo.language'));
});
