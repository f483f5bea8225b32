import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { InspectorPage } from './pages/InspectorPage';
import { StartPage } from './pages/StartPage';

const LAB = 'Test cluster (loopback)';

/** Serious and critical accessibility violations inside `selector`, as "rule: target" lines. */
async function axeViolations(page: Page, selector: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).include(selector).analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}

test('the DICOM example: a param change shows in the batch script, and resources over a partition limit are warned about', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const start = new StartPage(page);
  await start.expectShown();
  await start.openExample('DICOM lesion segmentation');
  const editor = new EditorPage(page);
  await editor.expectShown();
  const inspector = new InspectorPage(page);

  await editor.selectStep('segment');
  await expect(inspector.root.getByRole('heading', { level: 2 })).toHaveText('Segment by threshold');
  // Two choices are a radio group; the threshold is a number with its bounds said in words.
  await expect(inspector.root.getByRole('group', { name: 'Method' })).toBeVisible();
  await expect(inspector.dataField('segment', 'threshold')).toHaveValue('0.675');
  await snap(page, testInfo, 'inspector-params');

  // "Show script" on This computer, then a param change reaches the script without a reload.
  await inspector.showScript.click();
  const localScript = inspector.script('This computer');
  await expect(localScript).toContainText("'0.675'");
  await inspector.field('Threshold').fill('0.7');
  await expect(localScript).toContainText("'0.7'");
  await expect(localScript).not.toContainText("'0.675'");
  await inspector.section('Batch script').scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'inspector-script-local');

  // Text that is not yet a number stays as typed, explained, and the script keeps the last number.
  await inspector.field('Threshold').fill('0.7x');
  await expect(inspector.field('Threshold')).toHaveValue('0.7x');
  await expect(inspector.root.getByText('Threshold must be a number, like 12 or 0.5')).toBeVisible();
  await snap(page, testInfo, 'inspector-typed-error');
  await inspector.field('Threshold').fill('0.7');

  // On the lab cluster: the partition's limits, and a warning in words past them.
  await inspector.chooseTarget(LAB);
  const limits = inspector.root.getByText('Partition cpu (CPU) allows per node: 8 CPUs, 15.63 GB of memory and 0 GPUs, for at most 24 h.');
  await expect(limits).toBeVisible();
  const cpus = inspector.dataField('segment', 'resources.cpus');
  await cpus.fill('64');
  const warning = inspector.root.getByText('Segment by threshold: partition cpu allows at most 8 CPUs per node; this step asks for 64');
  await expect(warning.first()).toBeVisible();
  await expect(cpus).toHaveAttribute('aria-describedby', /\S/);
  await inspector.dataField('segment', 'resources.memoryMb').fill('32');
  await expect(inspector.root.getByText(/partition cpu allows at most 16000 MB of memory per node; this step asks for 32768 MB/).first()).toBeVisible();
  await warning.first().scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'inspector-resources-over-limit');

  // The compiler refuses such a step: the script section says why instead of showing a script.
  const refusal = inspector.root.getByText(`Fluxo cannot make this step's script for ${LAB} yet:`);
  await refusal.scrollIntoViewIfNeeded();
  await expect(refusal).toBeVisible();
  await snap(page, testInfo, 'inspector-script-refused');

  // Back within the limits, the Slurm script shows the request.
  await cpus.fill('4');
  await inspector.dataField('segment', 'resources.memoryMb').fill('');
  await expect(inspector.script(LAB)).toContainText('#SBATCH --cpus-per-task=4');
  await expect(inspector.script(LAB)).toContainText('#SBATCH --partition=cpu');
  await expect(inspector.root.getByText("On Test cluster (loopback) this step uses the cluster's installed tools (python3).")).toBeVisible();
  await inspector.section('Software environment').scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'inspector-script-cluster');
  expect(await axeViolations(page, '.inspector')).toEqual([]);
});

test('the cluster browser opens from a path field, is keyboard operable, and says why it cannot list', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const start = new StartPage(page);
  await start.expectShown();
  await start.openExample('DICOM lesion segmentation');
  const editor = new EditorPage(page);
  await editor.expectShown();
  const inspector = new InspectorPage(page);
  await inspector.chooseTarget(LAB);
  await editor.selectStep('load');
  const browse = inspector.root.getByRole('button', { name: /^Browse Test cluster \(loopback\) for / });
  await browse.first().focus();
  await page.keyboard.press('Enter');
  const dialog = page.locator('.remote-browser');
  await expect(dialog).toBeVisible();
  // Logging in asks the person at the window first (a host key never seen, or a password):
  // cancelling it is answered in words in the browser.
  const login = page.locator('.targets-prompt');
  await expect(dialog.getByRole('alert').or(login)).toBeVisible();
  if (await login.isVisible()) await login.getByRole('button', { name: /^(Cancel|Close)$/ }).click();
  await expect(dialog.getByRole('alert')).toContainText(/Test cluster \(loopback\)/);
  await snap(page, testInfo, 'inspector-remote-browser-error');
  expect(await axeViolations(page, '.remote-browser')).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(browse.first()).toBeFocused();
});

test("a student's locked pipeline: only the instructor's marked param can change, the rest reads 'Locked by your instructor'", async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const doc = JSON.parse(readFileSync(path.resolve('resources/examples/dicom-segmentation.fluxo'), 'utf8')) as Record<string, unknown>;
  doc.lock = { editable: ['segment.threshold'], message: 'Try a few thresholds; leave the rest as it is.' };
  const folder = path.join(fluxo.home, 'pipelines');
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'locked-dicom.fluxo');
  writeFileSync(file, JSON.stringify(doc, null, 2));

  const start = new StartPage(page);
  await start.expectShown();
  await page.getByRole('button', { name: 'Open…', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Open pipeline' });
  await dialog.getByLabel('File path', { exact: true }).fill(file);
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(dialog).toBeHidden();
  const editor = new EditorPage(page);
  await editor.selectStep('segment');
  const inspector = new InspectorPage(page);
  await expect(inspector.root.getByText('Locked by your instructor: Try a few thresholds; leave the rest as it is.')).toBeVisible();
  await expect(inspector.field('Threshold')).toBeEnabled();
  await inspector.field('Threshold').fill('0.6');
  await expect(inspector.field('Threshold')).toHaveValue('0.6');
  await expect(inspector.field('Label')).toBeDisabled();
  await expect(inspector.dataField('segment', 'min_volume_ml')).toBeDisabled();
  await expect(inspector.dataField('segment', 'resources.cpus')).toBeDisabled();
  await expect(inspector.dataField('segment', 'min_volume_ml')).toHaveAccessibleDescription(/Locked by your instructor/);
  await inspector.dataField('segment', 'min_volume_ml').scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'inspector-locked');
  expect(await axeViolations(page, '.inspector')).toEqual([]);
});
