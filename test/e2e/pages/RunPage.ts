import type { Locator, Page } from '@playwright/test';
import { expect } from '@playwright/test';

/** The run area: pre-flight, the Log tab (steps, failures, log), History and the comparison. */
export class RunPage {
  readonly preflight: Locator;
  readonly runLog: Locator;
  readonly steps: Locator;
  readonly logText: Locator;
  readonly history: Locator;
  readonly compare: Locator;
  readonly pastRunBanner: Locator;

  constructor(readonly page: Page) {
    this.preflight = page.getByRole('dialog', { name: 'Before running' });
    this.runLog = page.getByRole('region', { name: 'Run log' });
    this.steps = page.getByTestId('run-steps');
    this.logText = page.getByTestId('run-log-text');
    this.history = page.getByRole('region', { name: 'Run history' });
    this.compare = page.getByRole('dialog', { name: 'Compare two runs' });
    this.pastRunBanner = page.getByTestId('past-run-banner');
  }

  async pressRun(): Promise<void> {
    await this.page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(this.preflight).toBeVisible();
    await expect(this.preflight.getByRole('button', { name: 'Run now', exact: true })).toBeEnabled();
  }

  async runNow(): Promise<void> {
    await this.preflight.getByRole('button', { name: 'Run now', exact: true }).click();
    await expect(this.preflight).toBeHidden();
  }

  stepRow(id: string): Locator {
    return this.page.getByTestId(`run-step-${id}`);
  }

  failure(stepId: string): Locator {
    return this.page.getByTestId(`failure-${stepId}`);
  }

  async showTab(name: 'Problems' | 'Log' | 'Results' | 'History'): Promise<void> {
    await this.page.getByRole('tab', { name, exact: true }).click();
  }

  historyRows(): Locator {
    return this.history.getByTestId('run-history').locator('tbody tr');
  }
}
