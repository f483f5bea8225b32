import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, snap, test } from './fixtures';
import { CanvasPage } from './pages/CanvasPage';
import { StartPage } from './pages/StartPage';

/** The saved file without its time stamp, which every save renews. */
function savedWithoutStamp(file: string): unknown {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { metadata: Record<string, unknown> };
  delete doc.metadata.updated;
  return doc;
}

test('the canvas: undo and redo, copy and paste, a sticky note, tidy up, keyboard-only connecting, save and reopen unchanged', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const start = new StartPage(page);
  await start.expectShown();
  await start.newPipeline();
  const canvas = new CanvasPage(page);
  await canvas.expectShown();
  await expect(canvas.undoButton).toBeDisabled();

  for (const [title, id] of [
    ['Clinical dataset', 'dataset'],
    ['Split train/test', 'split'],
    ['Train classifier', 'train'],
    ['Evaluate classifier', 'evaluate'],
  ] as const) {
    await canvas.addBlock(title);
    await expect(canvas.step(id)).toBeVisible();
  }
  await expect(canvas.undoButton).toBeEnabled();
  await expect(canvas.redoButton).toBeDisabled();

  // A connection is one undo entry.
  await canvas.connect(['dataset', 'table'], ['split', 'table']);
  await expect(canvas.edge(['dataset', 'table'], ['split', 'table'])).toHaveCount(1);
  await canvas.undoButton.click();
  await expect(canvas.edge(['dataset', 'table'], ['split', 'table'])).toHaveCount(0);
  await canvas.redoButton.click();
  await expect(canvas.edge(['dataset', 'table'], ['split', 'table'])).toHaveCount(1);

  // A whole drag (many frames) is one undo entry; Ctrl+Z and Ctrl+Shift+Z work from the canvas.
  const before = await canvas.position('step-train');
  await canvas.dragStep('train', 60, 140);
  await expect.poll(() => canvas.position('step-train')).not.toEqual(before);
  const after = await canvas.position('step-train');
  await page.keyboard.press('Control+z');
  await expect.poll(() => canvas.position('step-train')).toEqual(before);
  await page.keyboard.press('Control+Shift+z');
  await expect.poll(() => canvas.position('step-train')).toEqual(after);

  // Typing a param in the inspector is one entry; undo brings the old value back.
  await canvas.selectStep('split');
  const seed = canvas.field('Random seed');
  await expect(seed).toHaveValue('42');
  await seed.fill('');
  await seed.pressSequentially('1234');
  await expect(seed).toHaveValue('1234');
  await canvas.undoButton.click();
  await expect(seed).toHaveValue('42');
  await canvas.redoButton.click();
  await expect(seed).toHaveValue('1234');
  await snap(page, testInfo, 'canvas-undo');

  // Copy and paste: a fresh id, the same params.
  await canvas.step('split').locator('.step-node-header').click();
  await page.keyboard.press('Control+c');
  await page.keyboard.press('Control+v');
  await expect(canvas.step('split-2')).toBeVisible();
  await canvas.selectStep('split-2');
  await expect(canvas.field('Random seed')).toHaveValue('1234');
  await snap(page, testInfo, 'canvas-pasted');
  await canvas.undoButton.click();
  await expect(canvas.step('split-2')).toHaveCount(0);
  // Duplicate keeps the connections among the copied steps.
  await canvas.step('dataset').locator('.step-node-header').click();
  await canvas.step('split').locator('.step-node-header').click({ modifiers: ['Shift'] });
  await page.keyboard.press('Control+d');
  await expect(canvas.edge(['dataset-2', 'table'], ['split-2', 'table'])).toHaveCount(1);
  await page.keyboard.press('Delete');
  await expect(canvas.step('dataset-2')).toHaveCount(0);
  await expect(canvas.step('split-2')).toHaveCount(0);

  // A sticky note, written in Markdown and shown without raw HTML.
  await canvas.addNoteButton.click();
  const editor = page.getByRole('textbox', { name: 'Note text (Markdown)' });
  await expect(editor).toBeFocused();
  await editor.pressSequentially('**Read me** first <b>not bold</b>');
  await editor.press('Escape');
  const note = canvas.note('note-1');
  await expect(note.locator('strong')).toHaveText('Read me');
  await expect(note.locator('b')).toHaveCount(0);
  await expect(note).toContainText('<b>not bold</b>');
  await note.click();
  await note.getByRole('button', { name: 'Blue' }).click();
  await expect(note.locator('.note-node')).toHaveClass(/note-blue/);
  await snap(page, testInfo, 'canvas-note');

  // While a wire is dragged, ports that would take it light up and the others dim.
  const grip = await canvas.handle('split', 'out', 'test').boundingBox();
  await page.mouse.move(grip!.x + grip!.width / 2, grip!.y + grip!.height / 2);
  await page.mouse.down();
  await page.mouse.move(grip!.x + 60, grip!.y + 120, { steps: 4 });
  await expect(canvas.handle('evaluate', 'in', 'test')).toHaveClass(/can-connect/);
  await expect(canvas.handle('evaluate', 'in', 'model')).toHaveClass(/cannot-connect/);
  await snap(page, testInfo, 'canvas-dragging-wire');
  await page.keyboard.press('Escape');
  await page.mouse.up();
  await expect(canvas.edge(['split', 'test'], ['evaluate', 'test'])).toHaveCount(0);

  // Keyboard only: a port's "Connect to…" menu lists compatible ports of other steps.
  const option = await canvas.connectByKeyboard(['split', 'out', 'train'], 'Train classifier › Train (table.csv)');
  await expect(page.getByRole('dialog').getByRole('button', { name: /Evaluate classifier › Model/ })).toHaveCount(0);
  await snap(page, testInfo, 'canvas-connect-menu');
  await option.press('Enter');
  await expect(canvas.edge(['split', 'train'], ['train', 'train'])).toHaveCount(1);
  await (await canvas.connectByKeyboard(['evaluate', 'in', 'model'], 'Train classifier › Model (model.sklearn)')).press('Enter');
  await expect(canvas.edge(['train', 'model'], ['evaluate', 'model'])).toHaveCount(1);
  await (await canvas.connectByKeyboard(['split', 'out', 'test'], 'Evaluate classifier › Test (table.csv)')).press('Enter');
  await canvas.undoButton.click();
  await expect(canvas.edge(['split', 'test'], ['evaluate', 'test'])).toHaveCount(0);
  await canvas.redoButton.click();
  await expect(canvas.edge(['split', 'test'], ['evaluate', 'test'])).toHaveCount(1);

  // Arrow keys move the focused, selected step; a burst of presses is one undo entry.
  const resting = await canvas.position('step-train');
  await canvas.step('train').focus();
  await page.keyboard.press('Enter');
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
  await expect.poll(async () => (await canvas.position('step-train')).y).toBeGreaterThan(resting.y);
  await canvas.undoButton.click();
  await expect.poll(() => canvas.position('step-train')).toEqual(resting);

  // Shift+N adds a note and opens it for writing; Enter on a focused note opens it again.
  await canvas.canvas.locator('.react-flow__pane').click();
  await page.keyboard.press('Shift+N');
  await expect(page.getByRole('textbox', { name: 'Note text (Markdown)' })).toBeFocused();
  await page.keyboard.type('- first\n- second');
  await page.keyboard.press('Escape');
  await expect(canvas.note('note-2').getByRole('listitem')).toHaveText(['first', 'second']);
  await canvas.note('note-2').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('textbox', { name: 'Note text (Markdown)' })).toHaveValue('- first\n- second');
  await page.keyboard.press('Escape');
  await canvas.note('note-2').click();
  await canvas.note('note-2').getByRole('button', { name: 'Delete note' }).click();
  await expect(canvas.note('note-2')).toHaveCount(0);

  // No serious accessibility problems on the canvas.
  const axe = await new AxeBuilder({ page }).include('.canvas').analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes[0]?.target}`)).toEqual([]);

  // Tidy up: left to right along the wires, one undo entry.
  await canvas.dragStep('dataset', 0, 260);
  const untidy = await canvas.position('step-dataset');
  await canvas.tidyButton.click();
  await expect.poll(() => canvas.position('step-dataset')).not.toEqual(untidy);
  const [d, s, t, e] = await Promise.all(['dataset', 'split', 'train', 'evaluate'].map((id) => canvas.position(`step-${id}`)));
  expect(d!.x < s!.x && s!.x < t!.x && t!.x < e!.x).toBe(true);
  // Dataset and split sit on one line again (the drag put the dataset 260 px lower).
  expect(Math.abs(d!.y - s!.y)).toBeLessThan(100);
  const tidy = d!;
  await canvas.undoButton.click();
  await expect.poll(() => canvas.position('step-dataset')).toEqual(untidy);
  await canvas.redoButton.click();
  await expect.poll(() => canvas.position('step-dataset')).toEqual(tidy);
  await snap(page, testInfo, 'canvas-tidy');

  // The shortcuts overlay.
  await canvas.canvas.locator('.react-flow__pane').click();
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await expect(help.getByRole('cell', { name: 'Tidy up: arrange the steps left to right' })).toBeVisible();
  await snap(page, testInfo, 'canvas-shortcuts');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  // Save, reopen and save again: the file is the same (but for its time stamp).
  await page.getByLabel('Pipeline name', { exact: true }).fill('Canvas check');
  await canvas.saveAs('canvas-check');
  const file = path.join(fluxo.home, 'pipelines', 'canvas-check.fluxo');
  const first = savedWithoutStamp(file);
  expect((first as { notes: Array<{ text: string; color: string }> }).notes).toMatchObject([{ text: '**Read me** first <b>not bold</b>', color: 'blue' }]);
  await page.getByRole('button', { name: 'Open…', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Open pipeline' });
  await dialog.getByRole('button', { name: 'canvas-check.fluxo' }).click();
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(canvas.note('note-1')).toBeVisible();
  await expect(canvas.undoButton).toBeDisabled();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page).toHaveTitle('Canvas check — Fluxo');
  await expect.poll(() => savedWithoutStamp(file)).toEqual(first);

  // An instructor's locked copy: nothing moves or wires, and the canvas says why.
  const locked = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  locked.lock = { editable: ['split.seed'], message: 'Change only the seed' };
  writeFileSync(path.join(fluxo.home, 'pipelines', 'locked.fluxo'), JSON.stringify(locked));
  await page.getByRole('button', { name: 'Open…', exact: true }).click();
  await dialog.getByRole('button', { name: 'locked.fluxo' }).click();
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByTestId('canvas-lock-banner')).toContainText('Locked by your instructor: you can change the marked settings');
  await expect(canvas.tidyButton).toBeDisabled();
  const lockedBefore = await canvas.position('step-train');
  await canvas.dragStep('train', 80, 80);
  expect(await canvas.position('step-train')).toEqual(lockedBefore);
  await snap(page, testInfo, 'canvas-locked');
});
