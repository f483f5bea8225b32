import { defineConfig } from '@playwright/test';
import type { FluxoOptions } from './test/e2e/fixtures';

// Debian's Chromium, started without anything that talks to the network on its own.
const chromiumArgs = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export default defineConfig<FluxoOptions>({
  testDir: 'test/e2e',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  globalSetup: './test/e2e/globalSetup.ts',
  use: {
    launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    actionTimeout: 15_000,
  },
  projects: [
    { name: 'browser', use: { browserName: 'chromium', fluxoHost: 'browser' } },
    { name: 'electron', use: { browserName: 'chromium', fluxoHost: 'electron' } },
  ],
});
