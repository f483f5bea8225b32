import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { expectNoSeriousViolations } from './pages/a11y.files';
import { StartPage } from './pages/StartPage';

interface Doc {
  steps: Array<{ id: string; type: string; label: string; params: Record<string, unknown> }>;
  connections: Array<{ from: { step: string }; to: { step: string } }>;
  notes: Array<{ id: string; text: string; position: { x: number; y: number } }>;
  metadata: { name: string };
}

/** The instructor's material: a small two-class table and the classifier reading it with Load CSV. */
function writeInstructorPipeline(home: string): string {
  const dir = path.join(home, 'pipelines', 'teacher');
  mkdirSync(dir, { recursive: true });
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rows = Array.from({ length: 120 }, (_, i) => {
    const target = i % 2;
    return `${(40 + rand() * 30).toFixed(1)},${(target * 0.8 + rand() * 1.5).toFixed(3)},${(rand() * 5).toFixed(3)},${target}`;
  });
  const csv = path.join(dir, 'cohort.csv');
  writeFileSync(csv, `age,marker,noise,target\n${rows.join('\n')}\n`);

  const example = JSON.parse(readFileSync(path.resolve('resources/examples/breast-cancer-classifier.fluxo'), 'utf8')) as Doc;
  const doc: Doc = {
    ...example,
    metadata: { ...example.metadata, name: 'Tumour workshop' },
    steps: example.steps
      .filter((s) => s.id !== 'report')
      .map((s) => (s.id === 'dataset' ? { ...s, type: 'load-csv', label: 'Load CSV', params: { file: csv, separator: 'comma' } } : s)),
    connections: example.connections.filter((c) => c.to.step !== 'report'),
    notes: [{ id: 'instructions', text: 'Change the test fraction, press Run, and compare the accuracy.', position: { x: 0, y: -160 } }],
  };
  const file = path.join(dir, 'workshop.fluxo');
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

async function instructorMenu(page: Page, item: string): Promise<void> {
  await page.getByRole('button', { name: 'For instructors' }).click();
  await page.getByRole('button', { name: item, exact: true }).click();
}

test('a locked workshop pack opened as a student: only the marked params are editable', async ({ fluxo }, testInfo) => {
  const { page, home } = fluxo;
  const source = writeInstructorPipeline(home);
  const start = new StartPage(page);
  const editor = new EditorPage(page);
  const banner = page.getByRole('region', { name: 'Workshop' });

  // The instructor locks the pipeline: students may change the test fraction and the model.
  await start.expectShown();
  await start.openPath(source);
  await editor.expectShown();
  await instructorMenu(page, 'Lock for students…');
  const lockDialog = page.getByRole('dialog', { name: 'Lock for students' });
  await expect(lockDialog).toBeVisible();
  await lockDialog.getByRole('checkbox', { name: 'Students may change Test fraction of Split train/test' }).check();
  await lockDialog.getByRole('checkbox', { name: 'Students may change Model of Train classifier' }).check();
  await lockDialog.getByLabel('Message for students').fill('Change only the test fraction and the model, then press Run.');
  await expect(lockDialog).toContainText('Students may change 2 settings.');
  await snap(page, testInfo, 'workshop-lock-dialog');
  await expectNoSeriousViolations(page, 'lock dialog', '.lock-dialog');
  await lockDialog.getByRole('button', { name: 'Lock', exact: true }).click();
  await expect(banner).toContainText('Locked for students: they can change 2 settings');
  await snap(page, testInfo, 'workshop-locked');

  // ...and exports one file for the class.
  await page.getByRole('button', { name: 'For instructors' }).click();
  await snap(page, testInfo, 'workshop-menu');
  await page.getByRole('button', { name: 'Export workshop pack…', exact: true }).click();
  const exportDialog = page.getByRole('dialog', { name: 'Export workshop pack' });
  await expect(exportDialog).toBeVisible();
  await exportDialog.getByLabel('File name', { exact: true }).fill('class-pack');
  await snap(page, testInfo, 'workshop-export-dialog');
  await exportDialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('Workshop pack exported')).toBeVisible();
  const pack = path.join(path.dirname(source), 'class-pack.fluxopack');
  await expect.poll(() => existsSync(pack)).toBe(true);

  // A student opens the pack (here: the same Fluxo, after leaving the instructor's copy unsaved).
  await page.getByRole('button', { name: 'Back to start', exact: true }).click();
  await page.getByRole('dialog', { name: 'Save changes?' }).getByRole('button', { name: "Don't save" }).click();
  await start.openPath(pack);
  await editor.expectShown();
  await expect(page.getByText('Workshop ready')).toBeVisible();
  await expect(banner).toContainText('Locked by your instructor: you can change 2 settings');
  await expect(banner).toContainText('Change only the test fraction and the model, then press Run.');
  await expect(banner.getByRole('button', { name: 'Reset to the original' })).toBeVisible();
  await snap(page, testInfo, 'workshop-student');
  await expectNoSeriousViolations(page, 'locked workshop banner', '.workshop-banner');

  // The data was unpacked with the pack, and the step reads it there.
  await editor.selectStep('dataset');
  const unpacked = await editor.field('File').inputValue();
  expect(unpacked.startsWith(path.join(home, 'workshops') + path.sep)).toBe(true);
  expect(path.basename(path.dirname(unpacked))).toBe('data');
  expect(readFileSync(unpacked, 'utf8')).toBe(readFileSync(path.join(path.dirname(source), 'cohort.csv'), 'utf8'));

  // Only the marked params change.
  await editor.selectStep('split');
  const seed = editor.field('Random seed');
  if (await seed.isEnabled()) await seed.fill('7');
  await expect(seed).toHaveValue('42');
  await editor.field('Test fraction').fill('0.3');
  await expect(editor.field('Test fraction')).toHaveValue('0.3');
  await editor.selectStep('train');
  await editor.inspector.getByRole('radio', { name: 'Random forest' }).check();
  await expect(editor.inspector.getByRole('radio', { name: 'Random forest' })).toBeChecked();
  await snap(page, testInfo, 'workshop-student-edited');

  // It runs on This computer as it came.
  await editor.run();
  await editor.waitForRun('completed');
  await expect(editor.step('evaluate').getByText('Completed', { exact: true })).toBeVisible();
  await expect(editor.metricValue('Accuracy')).toHaveText(/^\d+(\.\d)? %$/);
  await snap(page, testInfo, 'workshop-student-results');

  // Reset to the original, after a confirmation.
  await banner.getByRole('button', { name: 'Reset to the original' }).click();
  const ask = page.getByRole('dialog', { name: 'Reset to the original?' });
  await expect(ask).toBeVisible();
  await snap(page, testInfo, 'workshop-reset-confirm');
  await ask.getByRole('button', { name: 'Reset', exact: true }).click();
  await editor.selectStep('split');
  await expect(editor.field('Test fraction')).toHaveValue('0.25');
  await editor.selectStep('train');
  await expect(editor.inspector.getByRole('radio', { name: 'Logistic regression' })).toBeChecked();
  await expect(banner).toContainText('Locked by your instructor');
});
