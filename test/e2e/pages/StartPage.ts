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

  /** "Recent files" (absent while the list is empty). */
  get recent(): Locator {
    return this.page.getByRole('region', { name: 'Recent files' });
  }

  /** The crash-recovery notice: "Fluxo closed before these changes were saved". */
  get recovery(): Locator {
    return this.page.getByRole('region', { name: 'Unsaved changes found' });
  }

  /** The first-run invitation to the tour. */
  get tourInvitation(): Locator {
    return this.page.getByRole('region', { name: 'New to Fluxo?' });
  }

  async openRecent(name: string): Promise<void> {
    await this.recent.getByRole('button', { name: `Open recent file ${name}`, exact: true }).click();
  }

  /** Open… with a typed path in the in-app file dialog (a pipeline or a workshop pack). */
  async openPath(file: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Open…', exact: true }).click();
    const dialog = this.page.getByRole('dialog', { name: 'Open pipeline' });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel('File path', { exact: true }).fill(file);
    await dialog.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(dialog).toBeHidden();
  }
}
