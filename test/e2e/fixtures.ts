import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { ElectronApplication, Locator, Page, TestInfo } from '@playwright/test';
import { _electron, test as base } from '@playwright/test';

export interface FluxoOptions {
  /** Which front door the project drives: the browser host in Chromium, or the Electron app. */
  fluxoHost: 'browser' | 'electron';
}

/** A started Fluxo, whichever front door: the page to drive and the data folder it uses. */
export interface FluxoApp {
  page: Page;
  /** FLUXO_HOME of this Fluxo: pipelines/ and runs/ live here. */
  home: string;
  host: 'browser' | 'electron';
}

/**
 * The Electron binary's path, found the way `require('electron')` finds it but WITHOUT requiring
 * it: that module downloads the binary when it is missing, and tests must not touch the network.
 */
export function electronBinary(): { path: string } | { missing: string } {
  const require = createRequire(import.meta.url);
  let pkgDir: string;
  try {
    pkgDir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed (node_modules/electron)' };
  }
  const pathFile = path.join(pkgDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const full = path.join(override, relative || 'electron');
    return existsSync(full) ? { path: full } : { missing: `${full} does not exist (ELECTRON_OVERRIDE_DIST_PATH)` };
  }
  if (!relative) return { missing: `${pathFile} does not exist (the binary was never downloaded)` };
  const full = path.join(pkgDir, 'dist', relative);
  return existsSync(full) ? { path: full } : { missing: `${full} does not exist` };
}

function hostInfo(): { url: string; home: string } {
  const url = process.env.FLUXO_E2E_URL;
  const home = process.env.FLUXO_E2E_HOME;
  if (url && home) return { url, home };
  const file = path.join('test-results', 'e2e-host.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { url: string; home: string };
  throw new Error('the browser host is not running: globalSetup did not record its address');
}

async function launchElectron(binary: string, testInfo: TestInfo): Promise<{ app: ElectronApplication; home: string }> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'fluxo-e2e-electron-'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env.FLUXO_HOME = home;
  delete env.FLUXO_PORT;
  // executablePath is given so Playwright does not require('electron') (which would try to download).
  const app = await _electron.launch({ executablePath: binary, args: ['.', '--no-sandbox'], cwd: path.resolve(testInfo.config.configFile ? path.dirname(testInfo.config.configFile) : '.'), env });
  return { app, home };
}

export const test = base.extend<FluxoOptions & { fluxo: FluxoApp; electronGate: void }>({
  fluxoHost: ['browser', { option: true }],

  // Runs before the other fixtures: an Electron project without the binary skips with a reason.
  electronGate: [
    async ({ fluxoHost }, use, testInfo) => {
      if (fluxoHost === 'electron') {
        const found = electronBinary();
        if ('missing' in found) {
          const reason = `Electron binary is not installed: ${found.missing}`;
          console.log(`[e2e] skipping "${testInfo.title}" in the electron project. ${reason}`);
          testInfo.skip(true, reason);
        }
      }
      await use();
    },
    { auto: true },
  ],

  fluxo: async ({ fluxoHost, page }, use, testInfo) => {
    if (fluxoHost === 'electron') {
      const found = electronBinary();
      if ('missing' in found) throw new Error(found.missing);
      const { app, home } = await launchElectron(found.path, testInfo);
      try {
        const window = await app.firstWindow();
        await window.setViewportSize({ width: 1440, height: 900 }).catch(() => undefined);
        await use({ page: window, home, host: 'electron' });
      } finally {
        await app.close().catch(() => undefined);
        rmSync(home, { recursive: true, force: true });
      }
      return;
    }
    const { url, home } = hostInfo();
    await page.goto(url);
    await use({ page, home, host: 'browser' });
  },
});

export { expect } from '@playwright/test';

/** Saves a screenshot as test-results/screenshots/NAME.png and attaches it to the report. */
export async function snap(page: Page, testInfo: TestInfo, name: string, element?: Locator): Promise<void> {
  const dir = path.join('test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, testInfo.project.name === 'browser' ? `${name}.png` : `${testInfo.project.name}-${name}.png`);
  // An element shot waits for that element to be painted (a freshly scrolled-in iframe may not be yet).
  const body = element ? await element.screenshot({ path: file }) : await page.screenshot({ path: file, fullPage: false });
  await testInfo.attach(name, { body, contentType: 'image/png' });
}
