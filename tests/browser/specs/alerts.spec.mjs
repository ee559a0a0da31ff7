// The admins' notification centre: the bell in the header counts the open alerts and
// leads to /alerts (desktop and phone screenshots, axe), where each alert says what to
// do and links to its setting; dismissing one takes it off the list and the badge.
// The Rust test raised two alerts: forged webhooks (3) and an unreachable PBX.
import { test, expect } from '@playwright/test';
import { admin, signIn, screenshot, checkA11y } from '../lib/index.mjs';

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

test('the bell leads to the alerts, and dismissing one takes it off', async ({ page }) => {
  await page.setViewportSize(DESKTOP);
  const { email, password } = admin();
  await signIn(page, email, password);
  const bell = page.getByRole('link', { name: 'Integration alerts: 2 open' });
  await expect(bell).toBeVisible();
  await expect(bell.locator('.bell-count')).toHaveText('2');
  await bell.click();
  await expect(page).toHaveURL(/\/alerts$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Integration alerts');
  const items = page.locator('li.alert-item');
  await expect(items).toHaveCount(2);
  const forged = items.filter({ has: page.getByRole('heading', { name: 'Webhooks refused: bad signature' }) });
  await expect(forged.getByText('Happened 3 times')).toBeVisible();
  await expect(forged.getByRole('link', { name: "Open the integration's settings" })).toHaveAttribute('href', /^\/settings\/telephony\/\d+$/);
  await screenshot(page, 'alerts-desktop');
  await checkA11y(page);

  await page.setViewportSize(PHONE);
  await screenshot(page, 'alerts-phone');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, 'no sideways scrolling on a phone').toBeLessThanOrEqual(PHONE.width);
  await page.setViewportSize(DESKTOP);

  await forged.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page).toHaveURL(/\/alerts$/);
  await expect(items).toHaveCount(1);
  await expect(page.getByRole('heading', { name: 'The PBX cannot be reached' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Integration alerts: 1 open' }).locator('.bell-count')).toHaveText('1');
});
