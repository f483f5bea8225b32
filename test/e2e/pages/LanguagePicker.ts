import type { Locator, Page } from '@playwright/test';
import { expect } from '@playwright/test';

/**
 * The language picker (start screen and editor toolbar). Found by its place, not its label, because
 * the label itself changes language.
 */
export class LanguagePicker {
  readonly select: Locator;

  constructor(readonly page: Page, scope: Locator = page.locator('body')) {
    this.select = scope.locator('.language-picker select');
  }

  /** Chooses a language by its own name ("Galego") and waits until the page says it speaks it. */
  async choose(name: string, lang: string): Promise<void> {
    await this.select.selectOption({ label: name });
    await expect(this.page.locator('html')).toHaveAttribute('lang', lang);
  }
}
