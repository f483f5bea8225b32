import type { Locator, Page } from '@playwright/test';
import { expect } from '@playwright/test';

/** The editor: toolbar, palette, canvas, inspector and the bottom panel (problems, log, results). */
export class EditorPage {
  readonly palette: Locator;
  readonly canvas: Locator;
  readonly inspector: Locator;
  readonly runButton: Locator;
  readonly results: Locator;
  readonly runLog: Locator;

  constructor(readonly page: Page) {
    this.palette = page.getByRole('complementary', { name: 'Palette' });
    this.canvas = page.getByRole('region', { name: 'Canvas' });
    this.inspector = page.getByRole('complementary', { name: 'Inspector' });
    this.runButton = page.getByRole('button', { name: 'Run', exact: true });
    this.results = page.getByRole('region', { name: 'Results' });
    this.runLog = page.getByRole('region', { name: 'Run log' });
  }

  async expectShown(): Promise<void> {
    await expect(this.palette).toBeVisible();
    await expect(this.canvas).toBeVisible();
  }

  step(id: string): Locator {
    return this.page.getByTestId(`step-${id}`);
  }

  handle(stepId: string, direction: 'in' | 'out', port: string): Locator {
    return this.page.getByTestId(`handle-${stepId}-${direction}-${port}`);
  }

  /** Clicks the palette button whose name is exactly the block title. */
  async addBlock(title: string): Promise<void> {
    await this.palette.getByRole('button', { name: title, exact: true }).click();
  }

  /** Drags from an output handle to an input handle, found by test id (never by coordinates). */
  async connect(from: [string, string], to: [string, string]): Promise<void> {
    await this.handle(from[0], 'out', from[1]).dragTo(this.handle(to[0], 'in', to[1]));
  }

  edge(from: [string, string], to: [string, string]): Locator {
    return this.page.getByTestId(`rf__edge-${from[0]}:${from[1]}->${to[0]}:${to[1]}`);
  }

  async selectStep(id: string): Promise<void> {
    await this.step(id).locator('.step-node-header').click();
    await expect(this.inspector.getByRole('heading', { level: 2 })).toBeVisible();
  }

  field(label: string): Locator {
    return this.inspector.getByLabel(label, { exact: true });
  }

  async run(): Promise<void> {
    await expect(this.runButton).toBeEnabled();
    await this.runButton.click();
    // Run first shows the pre-flight check; "Run now" starts it.
    const preflight = this.page.getByRole('dialog', { name: 'Before running' });
    await preflight.getByRole('button', { name: 'Run now', exact: true }).click();
    await expect(preflight).toBeHidden();
  }

  /** Waits (by polling the page, never by sleeping) until the run has ended in `status`. */
  async waitForRun(status: 'completed' | 'failed' | 'cancelled', timeout = 110_000): Promise<void> {
    const text = { completed: 'Run completed', failed: 'Run failed', cancelled: 'Run cancelled' }[status];
    await expect(this.page.getByRole('status').filter({ hasText: text })).toBeVisible({ timeout });
  }

  metricValue(title: string): Locator {
    return this.results.locator('.metric-card', { has: this.page.locator('.metric-title', { hasText: new RegExp(`^${title}$`) }) }).locator('.metric-value');
  }

  async saveAs(fileName: string, beforeConfirm?: () => Promise<void>): Promise<void> {
    await this.page.getByRole('button', { name: 'Save as…', exact: true }).click();
    const dialog = this.page.getByRole('dialog', { name: 'Save pipeline as' });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel('File name', { exact: true }).fill(fileName);
    if (beforeConfirm) await beforeConfirm();
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(dialog).toBeHidden();
  }
}
