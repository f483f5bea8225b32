import type { Locator, Page } from '@playwright/test';
import { expect } from '@playwright/test';

/** The inspector: the selected step's settings, resources, software environment and batch script. */
export class InspectorPage {
  readonly root: Locator;
  readonly showScript: Locator;
  readonly targetSelect: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('complementary', { name: 'Inspector' });
    this.showScript = this.root.getByRole('button', { name: 'Show script' });
    this.targetSelect = page.getByLabel('Run on', { exact: true });
  }

  field(label: string): Locator {
    return this.root.getByLabel(label, { exact: true });
  }

  /** A field by its data-field id, as the problems list finds it. */
  dataField(stepId: string, field: string): Locator {
    return this.root.locator(`[data-step="${stepId}"] [data-field="${field}"]`).first();
  }

  script(targetTitle: string): Locator {
    return this.root.getByRole('region', { name: `Batch script of this step for ${targetTitle}`, exact: true });
  }

  section(title: string): Locator {
    return this.root.getByRole('heading', { level: 3, name: title, exact: true });
  }

  async chooseTarget(title: string): Promise<void> {
    await this.targetSelect.selectOption({ label: title });
    await expect(this.targetSelect.locator('option:checked')).toHaveText(title);
  }
}
