import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect } from '@playwright/test';

/**
 * axe-core on what the page shows now (or only inside `include`, for a part this area owns over
 * screens others own): no serious or critical violation, listed by rule when there is one.
 */
export async function expectNoSeriousViolations(page: Page, what: string, include?: string): Promise<void> {
  const builder = new AxeBuilder({ page });
  const results = await (include ? builder.include(include) : builder).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  expect(serious, `${what}: accessibility violations`).toEqual([]);
}
