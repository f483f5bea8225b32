import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, snap, test } from './fixtures';
import { CanvasPage } from './pages/CanvasPage';
import { StartPage } from './pages/StartPage';

// Tracing snapshots the whole DOM at every mouse move of the drag: slow with 1,000 steps.
test.use({ trace: 'off' });

/** A pipeline of `count` Split steps in a grid, each feeding the next. */
function bigPipeline(count: number): string {
  const stamp = '2026-01-01T00:00:00.000Z';
  const steps = Array.from({ length: count }, (_, i) => ({
    id: `s${i}`,
    type: 'split-train-test',
    version: 1,
    label: `Split ${i}`,
    params: { target_column: 'target' },
    position: { x: (i % 40) * 260, y: Math.floor(i / 40) * 200 },
  }));
  const connections = steps.slice(1).map((s, i) => ({ from: { step: `s${i}`, port: 'train' }, to: { step: s.id, port: 'table' } }));
  return JSON.stringify({ format: 'fluxo-pipeline', version: 3, metadata: { name: `Big ${count}`, description: '', author: '', created: stamp, updated: stamp }, steps, connections, notes: [] });
}

test('a 1,000-step pipeline: a step dragged among them is one undo entry; a 2,000-step one renders only the visible steps', async ({ fluxo }, testInfo) => {
  const { page } = fluxo;
  const start = new StartPage(page);
  await start.expectShown();
  mkdirSync(path.join(fluxo.home, 'pipelines'), { recursive: true });
  for (const count of [1000, 2000]) writeFileSync(path.join(fluxo.home, 'pipelines', `big-${count}.fluxo`), bigPipeline(count));
  const canvas = new CanvasPage(page);
  const open = async (name: string) => {
    await page.getByRole('button', { name: 'Open a pipeline…' }).or(page.getByRole('button', { name: 'Open…', exact: true })).first().click();
    const dialog = page.getByRole('dialog', { name: 'Open pipeline' });
    await dialog.getByRole('button', { name }).click();
    await dialog.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByLabel('Pipeline name', { exact: true })).toHaveValue(`Big ${name.match(/\d+/)![0]}`);
  };

  /** The problems list jumps to a step and zooms to it: the way to the first step of a huge pipeline. */
  const jumpToFirst = async () => {
    await page.getByRole('button', { name: 'Split 0 needs its input "Table" (a table (CSV))' }).click();
    await expect(canvas.step('s0')).toBeInViewport();
  };

  await open('big-1000.fluxo');
  await jumpToFirst();
  await expect(canvas.step('s1')).toBeInViewport();

  // How fast this is goes to bench/editor (timed tests measure the machine); here: that it works.
  const before = await canvas.position('step-s1');
  await canvas.dragStep('s1', 240, 160);
  expect(await canvas.position('step-s1')).not.toEqual(before);
  // The drag is one undo entry.
  await canvas.undoButton.click();
  await expect.poll(() => canvas.position('step-s1')).toEqual(before);
  await snap(page, testInfo, 'canvas-1000-steps');

  await open('big-2000.fluxo');
  await jumpToFirst();
  const rendered = await page.locator('.react-flow__node-step').count();
  console.log(`[canvas] 2,000 steps: ${rendered} step nodes in the DOM`);
  expect(rendered).toBeLessThan(400);
  await snap(page, testInfo, 'canvas-2000-steps');
});
