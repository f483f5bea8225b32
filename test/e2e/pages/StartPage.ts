import type { Locator, Page } from '@playwright/test';
import { expect } from '@playwright/test';

/** The start screen: example gallery, New pipeline, Open…. */
export class StartPage {
  readonly heading: Locator;
  readonly examples: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Examples' });
    this.examples = page.getByRole('region', { name: 'Examples' });
  }

  async expectShown(): Promise<void> {
    await expect(this.heading).toBeVisible();
    // Ready once the examples have loaded from the backend.
    await expect(this.examples.getByRole('button', { name: /^Open example / }).first()).toBeVisible();
  }

  async openExample(title: string): Promise<void> {
    await this.page.getByRole('button', { name: `Open example ${title}`, exact: true }).click();
  }

  async newPipeline(): Promise<void> {
    await this.page.getByRole('button', { name: 'New pipeline', exact: true }).click();
  }
}
