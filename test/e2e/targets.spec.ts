import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';
import { SettingsPage } from './pages/SettingsPage';
import { StartPage } from './pages/StartPage';

/** Serious and critical accessibility problems on what is shown now. */
async function expectAccessible(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

test.afterAll(() => {
  // Shared browser host: leave no profile of ours for the other specs.
  const home = process.env.FLUXO_E2E_HOME ?? JSON.parse(readFileSync(path.join('test-results', 'e2e-host.json'), 'utf8')).home;
  for (const id of ['ft3-course', 'workshop-gateway']) rmSync(path.join(home, 'targets', `${id}.yaml`), { force: true });
});

test('clusters and connections: add like a shipped cluster, edit, import from the SSH config, delete', async ({ fluxo }, testInfo) => {
  const { page, home } = fluxo;
  await new StartPage(page).expectShown();
  const settings = new SettingsPage(page);
  await settings.open();
  await expect(settings.row('cesga-ft3')).toContainText('Ships with Fluxo');
  await expect(settings.row('cesga-ft3')).toContainText('ft3.cesga.es');
  await expect(settings.row('local')).toContainText('This computer');
  await expect(page.getByText(/Passwords cannot be remembered in this window/)).toBeVisible();
  await expectAccessible(page);
  await snap(page, testInfo, 'targets-screen');

  // Add: like CESGA FinisTerrae III, with the user, and the class's reservation and account.
  const add = await settings.startAdding('CESGA FinisTerrae III');
  await expect(add.getByLabel(/^Default partition/)).toHaveValue('short');
  await snap(page, testInfo, 'targets-add-start');
  await settings.fill(add, { 'Name shown in Fluxo': 'FinisTerrae for the course', 'Short name': 'ft3-course', 'User name': 'ana', 'Slurm account': 'ehpc123', Reservation: 'course_2026' });
  await expectAccessible(page);
  await snap(page, testInfo, 'targets-add-like');
  await settings.save(add);
  await expect(settings.row('ft3-course')).toContainText('Yours');
  await expect(settings.row('ft3-course')).toContainText('ana');
  await expect(settings.row('ft3-course')).toContainText('ehpc123 · course_2026');
  const file = path.join(home, 'targets', 'ft3-course.yaml');
  await expect.poll(() => existsSync(file)).toBe(true);
  expect(readFileSync(file, 'utf8')).toMatch(/user: ana/);
  expect(JSON.parse(readFileSync(path.join(home, 'settings.json'), 'utf8')).runOptions['ft3-course']).toEqual({ account: 'ehpc123', qos: '', reservation: 'course_2026' });

  // Edit: the same file, a new name.
  await settings.row('ft3-course').getByRole('button', { name: 'Edit FinisTerrae for the course' }).click();
  const edit = settings.dialog('Edit FinisTerrae for the course');
  await settings.fill(edit, { 'Name shown in Fluxo': 'FT3 workshop' });
  await settings.save(edit);
  await expect(settings.row('ft3-course')).toContainText('FT3 workshop');
  expect(readFileSync(file, 'utf8')).toMatch(/title: FT3 workshop/);

  // A blank profile with mistakes says what is wrong, field by field.
  const blank = await settings.startAdding(null);
  await settings.fill(blank, { 'Login host': 'not a host', Port: '99999' });
  await blank.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(blank.getByText('Write a host name such as ft3.cesga.es', { exact: false })).toBeVisible();
  await expect(blank.getByText('A port is a number from 1 to 65535.')).toBeVisible();
  // Fields never touched are checked on Save too.
  await expect(blank.getByText('This cannot be empty.')).toBeVisible();
  await expect(blank.getByText('Use lowercase letters, digits and dashes, starting with a letter.')).toBeVisible();
  await expect(blank.getByLabel('Name shown in Fluxo')).toBeFocused();
  await snap(page, testInfo, 'targets-add-blank-errors');
  await blank.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(blank).toBeHidden();

  // Import: the Hosts of the fixture ssh config (FLUXO_SSH_CONFIG), wildcards left out.
  await page.getByRole('button', { name: 'Import from SSH config…' }).click();
  const imp = settings.dialog('Import a host from your SSH config');
  await expect(imp.getByRole('radio', { name: /fluxolab-e2e/ })).toBeVisible();
  await expect(imp.getByRole('radio')).toHaveCount(2);
  await imp.getByRole('radio', { name: /workshop-gateway/ }).check();
  await expect(imp.getByText('via bastion.example.org')).toBeVisible();
  await imp.getByLabel('Partitions and software like').selectOption({ label: 'CESGA FinisTerrae III' });
  await expect(imp.getByLabel('Short name (id)')).toHaveValue('workshop-gateway');
  await expectAccessible(page);
  await snap(page, testInfo, 'targets-import');
  await imp.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(imp).toBeHidden();
  await expect(settings.row('workshop-gateway')).toContainText('gw.example.org');
  await expect(settings.row('workshop-gateway')).toContainText('Yours');

  // The choice beside "Run on" in the editor.
  await settings.back();
  await new StartPage(page).newPipeline();
  await page.getByLabel('Run on').selectOption('ft3-course');
  const choices = page.getByRole('button', { name: /Slurm account, QoS and reservation for FT3 workshop/ });
  await expect(choices).toContainText('ehpc123 · course_2026');
  await choices.click();
  const runOptions = settings.dialog('Slurm choices for FT3 workshop');
  await runOptions.getByLabel(/^QoS/).fill('short');
  await expectAccessible(page);
  await snap(page, testInfo, 'targets-run-options');
  await runOptions.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(choices).toContainText('ehpc123 · short · course_2026');
  await snap(page, testInfo, 'targets-toolbar', page.getByRole('toolbar', { name: 'Pipeline' }));
  await page.getByLabel('Run on').selectOption('local');

  // Delete: asks first, then the file is gone.
  await page.getByRole('toolbar', { name: 'Pipeline' }).getByRole('button', { name: 'Clusters and connections' }).click();
  await expect(settings.heading).toBeVisible();
  await settings.row('ft3-course').getByRole('button', { name: 'Delete FT3 workshop' }).click();
  const confirm = settings.dialog('Delete “FT3 workshop”?');
  await expect(confirm).toContainText('ft3-course.yaml');
  await snap(page, testInfo, 'targets-delete-confirm');
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(settings.row('ft3-course')).toHaveCount(0);
  expect(existsSync(file)).toBe(false);
  await settings.back();
  await expect(page.getByRole('toolbar', { name: 'Pipeline' })).toBeVisible();
});
