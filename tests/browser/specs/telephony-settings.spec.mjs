// The telephony settings as an admin uses them: the webhook URL and the PBX steps, the
// extension bound to one manager not offered to another, a switch saved and shown again
// after the reload, a bad allow-list entry refused beside its field, and the blacklist.
// Screenshots at laptop and phone widths; axe on each page. The Rust side
// (tests/browser/telephony.rs) installed the PBX simulator (extension 101: the admin),
// bound 100 to Ana, left Bea without an extension and blacklisted one number.
import { test, expect } from '@playwright/test';
import { admin, signIn, screenshot, checkA11y } from '../lib/index.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set (crates/sb-testkit/tests/browser/main.rs sets it)`);
  return v;
};

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

async function both(page, name) {
  await page.setViewportSize(DESKTOP);
  await screenshot(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await screenshot(page, `${name}-phone`);
  // Nothing wider than the phone's screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, 'no horizontal scrolling at 375 px').toBeLessThanOrEqual(0);
  await page.setViewportSize(DESKTOP);
}

test.beforeEach(async ({ page }) => {
  const { email, password } = admin();
  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/$/);
});

test('the settings page maps extensions one-to-one and saves a switch', async ({ page }) => {
  const id = env('SB_INTEGRATION');
  const ana = env('SB_ANA');
  const bea = env('SB_BEA');
  await page.getByRole('link', { name: 'Telephony' }).click();
  await expect(page).toHaveURL(/\/settings\/telephony$/);
  await expect(page.getByRole('link', { name: 'Office PBX' })).toBeVisible();
  await expect(page.getByLabel('API secret')).toHaveAttribute('type', 'password');
  await both(page, 'telephony-list');
  await checkA11y(page);

  await page.getByRole('link', { name: 'Office PBX' }).click();
  await expect(page).toHaveURL(new RegExp(`/settings/telephony/${id}$`));
  const url = page.getByLabel('Call-notification URL');
  await expect(url).toHaveAttribute('readonly', '');
  await expect(url).toHaveValue(/\/hooks\/zadarma\/[0-9a-f]+$/);
  await expect(page.getByText('NOTIFY_OUT_START')).toBeVisible();
  await expect(page.locator('#balance')).toHaveText('€18.16');

  // 100 is Ana's: no choice there, and Ana is not offered for 102; Bea is.
  const row100 = page.locator('#ext-100');
  await expect(row100).toContainText(ana);
  await expect(row100.getByRole('button', { name: 'Unbind extension 100' })).toBeVisible();
  await expect(row100.locator('select')).toHaveCount(0);
  const pick102 = page.getByLabel('User for extension 102');
  await expect(pick102.locator('option', { hasText: ana })).toHaveCount(0);
  await expect(pick102.locator('option', { hasText: bea })).toHaveCount(1);
  await both(page, 'telephony-settings');
  await checkA11y(page);

  // Bea takes 102: then she is offered nowhere else.
  await pick102.selectOption({ label: bea });
  await page.locator('#ext-102').getByRole('button', { name: 'Assign' }).click();
  await expect(page.locator('.flash.ok')).toHaveText('The extensions were saved.');
  await expect(page.locator('#ext-102')).toContainText(bea);
  await expect(page.locator('select[name="user_id"] option', { hasText: bea })).toHaveCount(0);

  // A switch saved and read back after the page reloads.
  const outgoing = page.getByLabel('Also for outgoing calls');
  await expect(outgoing).not.toBeChecked();
  await outgoing.check();
  await page.getByLabel('Create for a call from an unknown number').selectOption({ label: 'An incoming lead' });
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.locator('.flash.ok')).toHaveText('The settings were saved.');
  await page.reload();
  await expect(page.getByLabel('Also for outgoing calls')).toBeChecked();
  await expect(page.getByLabel('Create for a call from an unknown number')).toHaveValue('incoming_lead');

  // A bad network is refused beside the field.
  await page.getByLabel('Webhook source addresses').fill('185.45.152.40/30\n300.1.1.1/8');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.locator('#s-allow-error')).toHaveText('Enter one network per line, such as 185.45.152.40/30.');
  await expect(page.getByLabel('Webhook source addresses')).toHaveAttribute('aria-invalid', 'true');
  await both(page, 'telephony-settings-error');
});

test('the blacklist shows numbers internationally and removes one after asking', async ({ page }) => {
  await page.getByRole('link', { name: 'Blacklist' }).click();
  await expect(page).toHaveURL(/\/settings\/blacklist$/);
  await expect(page.getByRole('cell', { name: '+34911234567', exact: true })).toBeVisible();
  await page.getByLabel('Phone number').fill('600 11 22 33');
  await page.getByLabel('Note').fill('Spam');
  await page.getByRole('button', { name: 'Add to blacklist' }).click();
  await expect(page.locator('.flash.ok')).toHaveText('The number was added to the blacklist.');
  await expect(page.getByRole('cell', { name: '+34600112233', exact: true })).toBeVisible();
  await both(page, 'blacklist');
  await checkA11y(page);

  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Remove +34600112233 from the blacklist' }).click();
  await expect(page.locator('.flash.ok')).toHaveText('The number was removed from the blacklist.');
  await expect(page.getByRole('cell', { name: '+34600112233', exact: true })).toHaveCount(0);
});
