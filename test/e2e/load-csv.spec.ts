import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, snap, test } from './fixtures';
import { EditorPage } from './pages/EditorPage';
import { StartPage } from './pages/StartPage';

test('a user picks their own CSV with Browse…, splits it and the run completes', async ({ fluxo }, testInfo) => {
  const { page, home } = fluxo;
  // The user's own data: a small two-class table in a folder of theirs.
  const dataDir = path.join(home, 'pipelines', 'my-data');
  mkdirSync(dataDir, { recursive: true });
  const rows = Array.from({ length: 60 }, (_, i) => `${i},${(i * 7) % 13},${i % 2}`);
  writeFileSync(path.join(dataDir, 'cohort.csv'), `age,marker,target\n${rows.join('\n')}\n`);
  writeFileSync(path.join(dataDir, 'notes.docx'), 'not a table');

  await new StartPage(page).newPipeline();
  const editor = new EditorPage(page);
  await editor.addBlock('Load CSV');
  await editor.addBlock('Split train/test');
  await editor.connect(['csv', 'table'], ['split', 'table']);

  await editor.selectStep('csv');
  await editor.inspector.getByRole('button', { name: 'Browse for File' }).click();
  const dialog = page.getByRole('dialog', { name: /Choose/ });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Folder my-data' }).click();
  // Only tables are offered, not the user's other documents.
  await expect(dialog.getByRole('button', { name: 'cohort.csv' })).toBeVisible();
  await expect(dialog.getByText('notes.docx')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'cohort.csv' }).click();
  await snap(page, testInfo, 'pick-csv-dialog');
  await dialog.getByRole('button', { name: 'Choose', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(editor.field('File')).toHaveValue(path.join(dataDir, 'cohort.csv'));

  await editor.run();
  await editor.waitForRun('completed');
  await expect(editor.step('split').getByText('Completed', { exact: true })).toBeVisible();
  await snap(page, testInfo, 'pick-csv-completed');
});
