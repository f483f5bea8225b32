import type { Locator, Page } from '@playwright/test';
import { expect } from '@playwright/test';

/** "Clusters and connections": the list of profiles and its dialogs (add/edit, import, test). */
export class SettingsPage {
  readonly heading: Locator;
  readonly table: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Clusters and connections' });
    this.table = page.getByRole('table', { name: 'Clusters' });
  }

  async open(): Promise<void> {
    await this.page.getByRole('button', { name: 'Clusters and connections', exact: true }).click();
    await expect(this.heading).toBeVisible();
    await expect(this.table).toBeVisible();
  }

  row(id: string): Locator {
    return this.table.locator(`tr[data-target="${id}"]`);
  }

  dialog(name: string | RegExp): Locator {
    return this.page.getByRole('dialog', { name });
  }

  /** Opens "Add a cluster", optionally starting like a shipped profile. */
  async startAdding(like: string | null): Promise<Locator> {
    await this.page.getByRole('button', { name: 'Add a cluster', exact: true }).click();
    const d = this.dialog('Add a cluster');
    await expect(d).toBeVisible();
    if (like) await d.getByLabel('Start from').selectOption({ label: `Like ${like}` });
    return d;
  }

  async fill(d: Locator, fields: Record<string, string>): Promise<void> {
    for (const [label, value] of Object.entries(fields)) await d.getByLabel(new RegExp(`^${label}`)).fill(value);
  }

  /** Ticks exactly these login methods. */
  async loginMethods(d: Locator, wanted: string[]): Promise<void> {
    const group = d.getByRole('group', { name: 'Login methods' });
    for (const name of ['SSH agent', 'Key file', 'Password and code prompts (two-factor)', 'Password']) {
      await group.getByRole('checkbox', { name, exact: true }).setChecked(wanted.includes(name));
    }
  }

  async save(d: Locator): Promise<void> {
    await d.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(d).toBeHidden();
  }

  async back(): Promise<void> {
    await this.page.getByRole('button', { name: /Back$/ }).first().click();
  }
}
