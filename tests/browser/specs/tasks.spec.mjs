// Tasks, the dashboard and the users page in a real browser: a task created from the
// form (a missing deadline shown beside its field first) and completed with a result,
// which then is a note on the contact; the dashboard; the users page as admin (create a
// user, change a right). Axe on each page, screenshots at laptop and phone widths.
//
// The Rust side (tests/browser/main.rs, `tasks_data`) made a contact (SB_CONTACT_ID), an
// overdue task and one for later, and passes an API token (SB_API_TOKEN) to read notes.
import { test, expect } from '@playwright/test';
import { admin, signIn, screenshot, checkA11y } from '../lib/index.mjs';

const contactId = process.env.SB_CONTACT_ID;
const apiToken = process.env.SB_API_TOKEN;
const PHONE = { width: 375, height: 812 };

async function signInAsAdmin(page) {
  const { email, password } = admin();
  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/$/);
}

/** A screenshot at the current size, then one at phone width, back to the size after. */
async function shots(page, name) {
  const size = page.viewportSize();
  await screenshot(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await screenshot(page, `${name}-phone`);
  if (size) await page.setViewportSize(size);
}

/** A datetime-local value for `hours` from now, in the account's zone (Europe/Madrid). */
function localInput(hours) {
  const d = new Date(Date.now() + hours * 3_600_000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Madrid', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(d).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

test('create a task and complete it with a result, which becomes a note on the contact', async ({ page, request }) => {
  expect(contactId, 'SB_CONTACT_ID from the Rust side').toBeTruthy();
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInAsAdmin(page);

  await page.getByRole('link', { name: 'Tasks', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tasks');
  await expect(page.locator('#tasks-overdue')).toContainText('Send the price list');
  await expect(page.locator('#tasks-later')).toContainText('Quarterly review');
  await checkA11y(page);
  await shots(page, 'tasks');

  // From a card's "add a task" link: the form knows the contact.
  await page.goto(`/tasks?entity=contacts&id=${contactId}`);
  const form = page.locator('form.task-form');
  await expect(form).toContainText('Ana García');
  await form.getByLabel('What to do').fill('Call Ana about the offer');
  await form.getByLabel('Deadline').fill('');
  await form.getByRole('button', { name: 'Create task' }).click();

  // Refused: the message sits beside the deadline, which is marked invalid.
  const deadline = page.getByLabel('Deadline');
  await expect(deadline).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#task-deadline-error')).toHaveText('This field is required.');
  await expect(deadline).toHaveAttribute('aria-describedby', 'task-deadline-error');
  await expect(page.getByLabel('What to do')).toHaveValue('Call Ana about the offer');
  await checkA11y(page);
  await screenshot(page, 'tasks-deadline-error');

  await deadline.fill(localInput(2));
  await page.getByRole('button', { name: 'Create task' }).click();
  await expect(page).toHaveURL(/\/tasks$/);
  const item = page.locator('li.task-item', { hasText: 'Call Ana about the offer' });
  await expect(item).toBeVisible();
  await expect(item.getByRole('link', { name: 'Ana García' })).toHaveAttribute('href', `/contacts/${contactId}`);

  const result = 'Sent the offer; she calls back on Friday';
  await item.getByLabel('Result of “Call Ana about the offer”').fill(result);
  await item.getByRole('button', { name: 'Complete' }).click();
  await expect(page).toHaveURL(/\/tasks$/);
  await expect(page.locator('li.task-item', { hasText: 'Call Ana about the offer' })).toHaveCount(0);

  await page.getByLabel('Show').selectOption('done');
  await page.getByRole('button', { name: 'Apply' }).click();
  const done = page.locator('li.task-item', { hasText: 'Call Ana about the offer' });
  await expect(done).toContainText(result);
  await checkA11y(page);
  await screenshot(page, 'tasks-done');

  // The result is a note on the contact.
  const notes = await request.get(`/api/v4/contacts/${contactId}/notes`, {
    headers: { Authorization: `Bearer ${apiToken}` },
  });
  expect(notes.status()).toBe(200);
  const texts = (await notes.json())._embedded.notes.map((n) => n.params.text);
  expect(texts).toContain(result);
  // And in the card's feed, where the contact card exists.
  const card = await page.goto(`/contacts/${contactId}`);
  if (card?.status() === 200) {
    // The note itself (the completed task in the feed shows "Result: …" too).
    await expect(page.getByText(result, { exact: true })).toBeVisible();
  }
});

test('the card tasks fragment creates a task in place', async ({ page }) => {
  await signInAsAdmin(page);
  // The fragment on its own, as a card embeds it (hx-get), answers without the layout.
  const res = await page.request.get(`/tasks/for/contacts/${contactId}`);
  expect(res.status()).toBe(200);
  const html = await res.text();
  expect(html).toContain(`id="card-tasks-contacts-${contactId}"`);
  expect(html).not.toContain('<html');
});

test('the dashboard shows my tasks, calls and the pipeline', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInAsAdmin(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Today');
  await expect(page.getByRole('heading', { name: 'My tasks' })).toBeVisible();
  await expect(page.locator('#dash-tasks')).toContainText('Send the price list');
  await expect(page.locator('#dash-tasks')).not.toContainText('Quarterly review');
  await expect(page.getByRole('heading', { name: 'Missed calls' })).toBeVisible();
  await expect(page.getByText('No missed calls. Well done.')).toBeVisible();
  await expect(page.getByRole('heading', { name: /^Leads in / })).toBeVisible();
  await checkA11y(page);
  await shots(page, 'dashboard');
});

test('the users page as admin: create a user and change a right', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInAsAdmin(page);
  await page.getByRole('link', { name: 'Users and rights' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Users and rights');
  await checkA11y(page);

  await page.getByLabel('New group\'s name').fill('Madrid team');
  await page.getByRole('button', { name: 'Create group' }).click();
  await expect(page.locator('.group-list')).toContainText('Madrid team');

  await page.getByLabel('Name', { exact: true }).fill('Lucía Pérez');
  await page.getByLabel('E-mail', { exact: true }).fill('lucia@example.test');
  await page.getByLabel('Role', { exact: true }).selectOption('manager');
  await page.getByLabel('Group', { exact: true }).selectOption({ label: 'Madrid team' });
  await page.locator('#u-lang').selectOption('es');
  await page.getByLabel('Initial password').fill('lucia-secret-1');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status')).toContainText('The user was created.');
  const row = page.locator('tr', { hasText: 'lucia@example.test' });
  await expect(row).toContainText('Madrid team');
  await expect(row).toContainText('Manager');
  await checkA11y(page);
  await shots(page, 'users');

  await row.getByRole('link', { name: 'Lucía Pérez' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Lucía Pérez');
  const contactsView = page.getByLabel('Contacts: View');
  await expect(contactsView).toHaveValue('A');
  await contactsView.selectOption('M');
  await page.getByRole('button', { name: 'Save rights' }).click();
  await expect(page.getByRole('status')).toContainText('The rights were saved.');
  await expect(page.getByLabel('Contacts: View')).toHaveValue('M');
  // Editing needs viewing: edit followed view down to "own".
  await expect(page.getByLabel('Contacts: Edit')).toHaveValue('M');
  await checkA11y(page);
  await shots(page, 'user-rights');
});
