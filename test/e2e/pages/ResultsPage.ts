import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { expect } from '../fixtures';

/** The Results tab of the bottom panel: one section per step, one per output port, and their viewers. */
export class ResultsPage {
  readonly region: Locator;

  constructor(readonly page: Page) {
    this.region = page.getByRole('region', { name: 'Results' });
  }

  /** The section of one step, found by its heading (the step's label). */
  step(label: string): Locator {
    return this.region.getByRole('region', { name: label, exact: true });
  }

  /** One output port of a step, by the port's title. */
  port(stepLabel: string, portTitle: string): Locator {
    return this.step(stepLabel).getByRole('region', { name: portTitle, exact: true });
  }

  table(stepLabel: string, portTitle: string): Locator {
    return this.port(stepLabel, portTitle).getByRole('table');
  }

  /** The text of one column of the rows on the current page. */
  async columnValues(table: Locator, column: number): Promise<string[]> {
    return table.locator(`tbody tr td:nth-child(${column + 1})`).allTextContents();
  }

  /** A chart drawn by the app, by its visible title (its role is group, named by the title). */
  chart(title: string): Locator {
    return this.region.getByRole('group', { name: title, exact: true });
  }

  async expectChartDrawn(chart: Locator): Promise<void> {
    await expect(chart).toBeVisible();
    // recharts draws each series as a path with a "d" attribute once it has a size.
    await expect.poll(() => chart.locator('.recharts-line-curve, .recharts-bar-rectangle').count()).toBeGreaterThan(0);
  }

  /** Serious and critical accessibility violations inside the results, as "rule: target" lines. */
  async accessibilityViolations(): Promise<string[]> {
    // The report frame is sandboxed without scripts, so axe cannot run inside it: it checks this page only.
    const r = await new AxeBuilder({ page: this.page }).include('section.panel-region[aria-label="Results"]').exclude('iframe').options({ iframes: false }).setLegacyMode(true).analyze();
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
  }

  /** The slice viewer of an output: its slider and the canvas. */
  sliceSlider(scope: Locator): Locator {
    return scope.getByRole('slider', { name: 'Slice', exact: true });
  }
}
