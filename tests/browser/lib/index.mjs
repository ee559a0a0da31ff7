// Helpers every page spec shares: signing in through the real form, screenshots into
// the run's artifacts folder, and the accessibility check.
import { expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { artifactsDir } from './env.mjs';

export { artifactsDir, chromiumPath } from './env.mjs';

/** The admin the Rust test created for this run (or `switchboard demo`'s, by hand). */
export function admin() {
  const email = process.env.SB_ADMIN_EMAIL;
  const password = process.env.SB_ADMIN_PASSWORD;
  if (!email || !password) throw new Error('SB_ADMIN_EMAIL and SB_ADMIN_PASSWORD must be set');
  return { email, password };
}

/**
 * Opens /login and submits it with these credentials, finding the fields through their
 * labels as a person would (so a field whose <label for> is missing or points elsewhere
 * fails here), then waits for the answer to load. It does not judge the outcome: the
 * spec asserts where it landed. The default label patterns are the English ones; pass
 * `labels` to sign in on a page in another language.
 */
export async function signIn(page, email, password, labels = {}) {
  await page.goto('/login');
  const emailField = page.getByLabel(labels.email ?? /e-?mail/i);
  const passwordField = page.getByLabel(labels.password ?? /password/i, { exact: false });
  await expect(emailField, 'the e-mail field, found by its label').toHaveAttribute('type', 'email');
  await expect(passwordField, 'the password field, found by its label').toHaveAttribute('type', 'password');
  await emailField.fill(email);
  await passwordField.fill(password);
  const form = page.locator('form').filter({ has: emailField });
  const submit = form.locator('button[type=submit], button:not([type]), input[type=submit]');
  // A plain form navigates, an htmx one answers in place (or redirects with HX-Redirect):
  // waiting for the POST's response and then for the page to settle covers both.
  const answered = page.waitForResponse((r) => r.request().method() === 'POST');
  await submit.first().click();
  await answered;
  await page.waitForLoadState('load');
}

/** A full-page PNG named `<name>.png` in this run's artifacts folder; returns its path. */
export async function screenshot(page, name) {
  const dir = artifactsDir();
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Runs axe-core on the page as it is now and fails on any serious or critical
 * violation, listing each rule with the elements it found and how to fix them.
 * Lesser findings are printed, not failed on.
 */
export async function checkA11y(page, { exclude = [] } = {}) {
  let builder = new AxeBuilder({ page });
  for (const selector of exclude) builder = builder.exclude(selector);
  const { violations } = await builder.analyze();
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const lesser = violations.filter((v) => !blocking.includes(v));
  if (lesser.length > 0) {
    console.log(`axe on ${page.url()}: not failing on ${lesser.length} lesser finding(s):\n${describe(lesser)}`);
  }
  if (blocking.length > 0) {
    throw new Error(`axe on ${page.url()}: ${blocking.length} serious/critical violation(s):\n${describe(blocking)}`);
  }
}

function describe(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    at ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
    })
    .join('\n');
}
