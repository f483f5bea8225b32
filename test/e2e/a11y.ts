import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect } from '@playwright/test';

/** The WCAG levels every screen of Fluxo is held to. */
export const A11Y_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

interface Found {
  id: string;
  impact: string;
  help: string;
  targets: string[];
  /** The opening tag of each element, matched by `known` (axe's selectors change with the page). */
  html: string[];
}

function describe(v: Found): string {
  const shown = v.targets.slice(0, 6).map((t) => `    ${t}`);
  const more = v.targets.length > shown.length ? [`    … and ${v.targets.length - shown.length} more`] : [];
  return [`  [${v.impact}] ${v.id}: ${v.help}`, ...shown, ...more].join('\n');
}

/**
 * Runs axe on what the page shows now and fails on any serious or critical violation, naming the
 * rule and the elements. Lesser findings are printed, not failed, so they are seen and fixed over
 * time. Everything found is also written to test-results/a11y/<label>.json for the record.
 *
 * `exclude` takes selectors of regions axe cannot judge (a sandboxed iframe without scripts);
 * `soft` records the failure and lets the test go on to check the next screens; `known` lists
 * violations already reported elsewhere: they are printed but do not fail, and any other element
 * with the same rule still does.
 */
/** A violation already reported to the owner of those elements: rule id and a pattern of their opening tag. */
export interface KnownViolation {
  id: string;
  html: RegExp;
  /** Who fixes it, and why it is tolerated meanwhile. */
  note: string;
}

export async function expectNoSeriousA11yViolations(page: Page, label: string, options: { exclude?: string[]; soft?: boolean; known?: KnownViolation[] } = {}): Promise<void> {
  let builder = new AxeBuilder({ page }).withTags(A11Y_TAGS);
  for (const selector of options.exclude ?? []) builder = builder.exclude(selector);
  const { violations } = await builder.analyze();
  const found: Found[] = violations.map((v) => ({
    id: v.id,
    impact: v.impact ?? 'unknown',
    help: v.help,
    targets: v.nodes.map((n) => n.target.map(String).join(' ')),
    html: v.nodes.map((n) => n.html.slice(0, n.html.indexOf('>') + 1 || undefined)),
  }));
  const dir = path.join('test-results', 'a11y');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${label.replace(/[^A-Za-z0-9_-]+/g, '-')}.json`), JSON.stringify(found, null, 2));
  const isKnown = (id: string, html: string) => (options.known ?? []).some((k) => k.id === id && k.html.test(html));
  const pick = (v: Found, keep: (known: boolean) => boolean): Found => {
    const idx = v.html.map((h, i) => (keep(isKnown(v.id, h)) ? i : -1)).filter((i) => i >= 0);
    return { ...v, targets: idx.map((i) => v.targets[i]!), html: idx.map((i) => v.html[i]!) };
  };
  const severe = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const serious = severe.map((v) => pick(v, (k) => !k)).filter((v) => v.targets.length > 0);
  const known = severe.map((v) => pick(v, (k) => k)).filter((v) => v.targets.length > 0);
  const lesser = found.filter((v) => !severe.includes(v));
  if (known.length) console.log(`[a11y] ${label}: ${known.length} known serious violation(s), reported to their owners\n${known.map(describe).join('\n')}`);
  if (lesser.length) console.log(`[a11y] ${label}: ${lesser.length} moderate or minor finding(s)\n${lesser.map(describe).join('\n')}`);
  if (serious.length) console.log(`[a11y] ${label}: ${serious.length} serious or critical violation(s)\n${serious.map(describe).join('\n')}`);
  (options.soft ? expect.soft : expect)(serious.map(describe), `serious or critical accessibility violations on "${label}"`).toEqual([]);
}
