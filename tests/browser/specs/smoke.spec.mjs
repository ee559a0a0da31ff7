// The whole chain works: the Rust test started the app, node runs Playwright, Playwright
// drives Debian's Chromium, the browser reaches the app (and the app its database), and a
// screenshot lands under target/. No page of the UI is needed for it.
import { test, expect } from '@playwright/test';
import { screenshot } from '../lib/index.mjs';

test('the app answers /health and /ready through the browser', async ({ page }) => {
  const health = await page.goto('/health');
  expect(health?.status()).toBe(200);
  expect(await health?.json()).toMatchObject({ healthy: true });
  // What the browser shows, not only what it received.
  await expect(page.locator('body')).toContainText('"healthy"');
  const file = await screenshot(page, 'health');
  console.log(`screenshot: ${file} (backend ${process.env.SB_BACKEND ?? 'unknown'})`);

  const ready = await page.goto('/ready');
  expect(ready?.status()).toBe(200);
  expect(await ready?.json()).toMatchObject({ ready: true, database: 'ok' });
});
