// Contacts, companies and the global search in a real browser: a contact created with a
// Spanish number through the form is found by the header's search typed another way; a
// manager who sees only their own contacts cannot reach a colleague's (list, search,
// URL); hostile names show as text and run nothing; axe on the main pages; screenshots
// at laptop and phone widths. The Rust side (tests/browser/main.rs, cards_env) made the
// manager, the colleague's contact and the hostile cards.
import { test, expect } from '@playwright/test';
import { admin, signIn, screenshot, checkA11y } from '../lib/index.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set (crates/sb-testkit/tests/browser/main.rs sets it)`);
  return v;
};

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 740 };

/** Fails the test if any page script opens a dialog (what an injected alert(1) would do). */
function noDialogs(page) {
  page.on('dialog', async (d) => {
    await d.dismiss();
    throw new Error(`a dialog opened: ${d.message()}`);
  });
}

async function both(page, name) {
  await page.setViewportSize(DESKTOP);
  await screenshot(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await screenshot(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
}

test('a contact created with a Spanish number is found by the header search typed differently', async ({ page }) => {
  noDialogs(page);
  const { email, password } = admin();
  await signIn(page, email, password);
  await page.goto('/contacts');
  await page.getByRole('link', { name: 'New contact' }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('New contact');
  await checkA11y(page);
  await both(page, 'contact-form');

  await page.getByLabel('Name', { exact: true }).fill('Lucía Pérez');
  const phones = page.getByRole('group', { name: 'Phone' });
  const first = phones.getByLabel('Phone 1');
  await expect(first).toHaveAttribute('type', 'tel');
  await first.fill('+34 600 111 222');
  await phones.getByLabel('Type 1').selectOption({ label: 'Mobile' });
  const emails = page.getByRole('group', { name: 'Email' });
  await expect(emails.getByLabel('Email 1')).toHaveAttribute('type', 'email');
  await emails.getByLabel('Email 1').fill('lucia@example.test');
  await page.getByLabel('Tags').fill('madrid');
  await page.getByRole('button', { name: 'Save' }).click();

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Lucía Pérez');
  await expect(page.getByRole('link', { name: '+34 600 111 222' })).toBeVisible();
  await expect(page.getByText('Mobile', { exact: true })).toBeVisible();

  const search = page.getByRole('searchbox', { name: 'Search contacts, companies and leads' });
  await search.fill('0034 600-111-222');
  await search.press('Enter');
  await expect(page).toHaveURL(/\/search\?q=/);
  // The box keeps what was typed.
  await expect(search).toHaveValue('0034 600-111-222');
  const hit = page.getByRole('link', { name: 'Lucía Pérez' });
  await expect(hit).toBeVisible();
  await checkA11y(page);
  await both(page, 'search');
  await hit.click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Lucía Pérez');
  await checkA11y(page);
  await both(page, 'contact-card');

  await page.goto('/contacts');
  await expect(page.getByRole('link', { name: 'Lucía Pérez' })).toBeVisible();
  await checkA11y(page);
  await both(page, 'contacts-list');
  // The filter form updates the table in place (htmx) and the address with it.
  await page.getByLabel('Search', { exact: true }).fill('Lucía');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/\/contacts\?q=Luc/);
  await expect(page.getByRole('link', { name: 'Lucía Pérez' })).toBeVisible();
  await expect(page.getByRole('link', { name: "Marta's Own Client" })).toHaveCount(0);
  await page.goto('/companies');
  await checkA11y(page);
  await both(page, 'companies-list');
});

test('a manager with scope own cannot see a colleague\'s contact (list, search, URL)', async ({ page }) => {
  noDialogs(page);
  await signIn(page, env('SB_MANAGER_EMAIL'), env('SB_MANAGER_PASSWORD'));
  await page.goto('/contacts');
  await expect(page.getByRole('link', { name: "Marta's Own Client" })).toBeVisible();
  await expect(page.getByText("Pablo's Secret Client")).toHaveCount(0);

  const search = page.getByRole('searchbox', { name: 'Search contacts, companies and leads' });
  await search.fill('+34 600 000 002');
  await search.press('Enter');
  await expect(page.getByText(/Nothing found/)).toBeVisible();
  await expect(page.getByText("Pablo's Secret Client")).toHaveCount(0);
  await search.fill('client');
  await search.press('Enter');
  await expect(page.getByRole('link', { name: "Marta's Own Client" })).toBeVisible();
  await expect(page.getByText("Pablo's Secret Client")).toHaveCount(0);

  const res = await page.goto(`/contacts/${env('SB_COLLEAGUE_CONTACT_ID')}`);
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await expect(page.getByText("Pablo's Secret Client")).toHaveCount(0);
  await screenshot(page, 'colleague-contact-404');
});

test('hostile names render as text in the list, the cards and the search', async ({ page }) => {
  noDialogs(page);
  const { email, password } = admin();
  await signIn(page, email, password);
  const script = '<script>alert(1)</script>';
  const img = '"><img src=x onerror=alert(1)>';
  await page.goto('/contacts');
  await expect(page.getByRole('link', { name: script })).toBeVisible();
  await page.goto('/companies');
  await expect(page.getByRole('link', { name: img })).toBeVisible();
  await page.goto(`/contacts/${env('SB_HOSTILE_CONTACT_ID')}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(script);
  await page.goto(`/companies/${env('SB_HOSTILE_COMPANY_ID')}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(img);
  await page.goto('/search?q=alert');
  await expect(page.getByRole('link', { name: script })).toBeVisible();
  await expect(page.getByRole('link', { name: img })).toBeVisible();
  // Nothing the names carry became an element.
  expect(await page.locator('main img, main script').count()).toBe(0);
  await screenshot(page, 'hostile-search');
});
