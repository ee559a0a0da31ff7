// Playwright's settings for Switchboard's browser tests. The Rust test binary
// crates/sb-testkit/tests/browser starts the app and runs one spec file at a time with
// BASE_URL, SB_ADMIN_EMAIL, SB_ADMIN_PASSWORD, SB_BACKEND and SB_ARTIFACTS set; by hand,
// point BASE_URL at `switchboard demo` (see README.md).
import { defineConfig } from '@playwright/test';
import { chromiumPath, artifactsDir } from './lib/env.mjs';

export default defineConfig({
  testDir: './specs',
  testMatch: '**/*.spec.mjs',
  // One app per spec run and one browser: parallel workers would only fight over the
  // two shared cores, and a failure that needs a retry to pass is a failure.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 30_000,
  // The Rust side kills a run that outlives its limit; stopping a little earlier by
  // ourselves closes the browser cleanly and says so in the output (0: no limit).
  globalTimeout: Number(process.env.SB_GLOBAL_TIMEOUT_MS ?? 0),
  expect: { timeout: 5_000 },
  // The Rust side reads the exit code and shows this output when it is not 0.
  reporter: [['list']],
  // Playwright's own failure files (the screenshot of a failing test) go beside the
  // spec's screenshots under target/, never into the source tree.
  outputDir: `${artifactsDir()}/results`,
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:8080',
    headless: true,
    trace: 'off',
    video: 'off',
    screenshot: 'only-on-failure',
    locale: 'en-US',
    timezoneId: 'UTC',
    launchOptions: {
      // Debian's Chromium: Playwright's own browser builds cannot be downloaded here.
      executablePath: chromiumPath(),
      // No sandbox (tests run as root in CI); no GPU; /dev/shm is small in containers;
      // no background requests to anywhere but the app.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
    },
  },
});
