// Signing in and out through the real pages: the error message for a wrong password,
// the session that follows the right one, CSRF refusals (the guard's, for a signed-in
// user, and the sign-in form's own), the language switch, sign-out ending the session
// on the server (not only in this browser), and axe on the login page and dashboard.
//
// The tests share one app and one admin, and run in file order (one worker): the
// language test, which changes the admin's language, comes last and puts it back.
import { test, expect } from '@playwright/test';
import { admin, signIn, screenshot, checkA11y } from '../lib/index.mjs';

const SESSION_COOKIE = 'sb_session';

/** Signs the admin in and checks the dashboard came up. */
async function signInAsAdmin(page) {
  const { email, password } = admin();
  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

test('a wrong password shows a message and the right one signs in', async ({ page, context }) => {
  const { email, password } = admin();

  await page.goto('/login');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in');
  await screenshot(page, 'login');
  await checkA11y(page);

  const refused = page.waitForResponse((r) => r.request().method() === 'POST');
  await signIn(page, email, 'not-the-password');
  expect((await refused).status()).toBe(401);
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('alert')).toHaveText('Wrong e-mail or password.');
  // The e-mail stays filled in; the password never comes back in the page.
  await expect(page.getByLabel('E-mail')).toHaveValue(email);
  await expect(page.getByLabel('Password')).toHaveValue('');
  expect((await context.cookies()).some((c) => c.name === SESSION_COOKIE && c.value)).toBe(false);
  await screenshot(page, 'login-wrong-password');
  await checkA11y(page);

  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Today');
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  const session = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
  expect(session, 'a session cookie after signing in').toBeTruthy();
  expect(session?.httpOnly, 'the session cookie is HttpOnly').toBe(true);
  expect(session?.sameSite).toBe('Lax');
  // Page scripts cannot read it.
  expect(await page.evaluate(() => document.cookie)).not.toContain(SESSION_COOKIE);
  await screenshot(page, 'dashboard');
  await checkA11y(page);
});

test('a signed-in POST without the CSRF token is refused', async ({ page }) => {
  await signInAsAdmin(page);
  const token = await page.locator('meta[name="csrf-token"]').getAttribute('content');
  expect(token, 'the page carries its CSRF token').toBeTruthy();

  // The sign-out form with its token taken out, submitted as a person would.
  const signOut = page.locator('form[action="/logout"]');
  await signOut.locator('input[name="_csrf"]').evaluate((input) => input.remove());
  const answer = page.waitForResponse((r) => r.request().method() === 'POST');
  await signOut.getByRole('button', { name: 'Sign out' }).click();
  expect((await answer).status()).toBe(403);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Request refused');
  await screenshot(page, 'csrf-refused');
  // And nothing happened: still signed in.
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();

  // Requests with this browser's cookies asking for Hungarian: no token, a wrong one,
  // the right one from another origin. None may change the language.
  const post = (lang, headers, extra = {}) =>
    page.request.post('/profile/lang', { form: { lang, back: '/', ...extra }, headers, maxRedirects: 0 });
  expect((await post('hu', {})).status(), 'no token').toBe(403);
  expect((await post('hu', {}, { _csrf: 'f'.repeat(token.length) })).status(), 'a wrong form token').toBe(403);
  expect((await post('hu', { 'x-csrf-token': 'nope' })).status(), 'a wrong header token').toBe(403);
  expect(
    (await post('hu', { origin: 'http://evil.example' }, { _csrf: token })).status(),
    'the right token from another origin',
  ).toBe(403);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  // So the refusals mean something: the right token from here, in the header (as htmx
  // sends it) or the form, is accepted.
  expect((await post('en', { 'x-csrf-token': token })).status(), 'the right header token').toBe(303);
  expect((await post('en', {}, { _csrf: token })).status(), 'the right form token').toBe(303);
});

test('the sign-in form without its own CSRF token is refused', async ({ page, context }) => {
  const { email, password } = admin();
  await page.goto('/login');
  await page.locator('input[name="_csrf"]').evaluate((input) => input.remove());
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  const answer = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Sign in' }).click();
  expect((await answer).status()).toBe(403);
  await expect(page.getByRole('alert')).toHaveText('The sign-in form had expired. Please try again.');
  expect((await context.cookies()).some((c) => c.name === SESSION_COOKIE && c.value)).toBe(false);
  // The form it answered with carries a fresh token, so the next try goes through.
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
});

test('signing out ends the session; the back button does not show the dashboard', async ({ page, browser }) => {
  await signInAsAdmin(page);
  const session = (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE);
  expect(session).toBeTruthy();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in');

  await page.goBack();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  await expect(page.getByText('Welcome to Switchboard.')).toHaveCount(0);
  await screenshot(page, 'after-sign-out-back');

  // The session ended on the server: its old cookie, in a browser that kept it, opens
  // nothing.
  const other = await browser.newContext();
  try {
    await other.addCookies([session]);
    const stale = await other.newPage();
    await stale.goto('/');
    await expect(stale).toHaveURL(/\/login/);
    await expect(stale.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  } finally {
    await other.close();
  }
});

test('switching the language to Hungarian shows Hungarian labels', async ({ page }) => {
  // Signed out: the sign-in page's own switch.
  await page.goto('/login');
  await page.getByRole('link', { name: 'Magyar' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'hu');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Bejelentkezés');
  await expect(page.getByLabel('E-mail-cím')).toHaveAttribute('type', 'email');
  await expect(page.getByLabel('Jelszó')).toHaveAttribute('type', 'password');
  await expect(page.getByRole('button', { name: 'Belépés' })).toBeVisible();
  await screenshot(page, 'login-hu');
  await checkA11y(page);

  // Signed in: the header's switch, which is the user's own setting.
  const { email, password } = admin();
  await signIn(page, email, password, { password: 'Jelszó' });
  await expect(page).toHaveURL(/\/$/);
  await page.getByRole('button', { name: 'HU', exact: true }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'hu');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ma');
  await expect(page.getByRole('button', { name: 'Kijelentkezés' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'HU', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await screenshot(page, 'dashboard-hu');
  await checkA11y(page);

  // It stays after a reload (stored, not only in this page).
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ma');

  await page.getByRole('button', { name: 'EN', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Today');
});
