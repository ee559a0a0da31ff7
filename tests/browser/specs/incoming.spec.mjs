// The incoming-leads inbox as a manager sorts it: the list (screenshot, axe), accepting
// one onto a chosen stage, declining one as spam (after the confirmation), and linking
// the last to an existing lead found by typing its name (htmx swaps the results in).
// The Rust test seeded three web-form leads and the lead "Big deal"; the tests run in
// file order on one app, each sorting one lead.
import { test, expect } from '@playwright/test';
import { admin, signIn, screenshot, checkA11y } from '../lib/index.mjs';

test.beforeEach(async ({ page }) => {
  const { email, password } = admin();
  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/$/);
});

/** The inbox entry of the lead named `name`. */
function entry(page, name) {
  return page.locator('section.incoming').filter({ has: page.getByRole('heading', { name }) });
}

test('the inbox lists what waits and accepts a lead onto a stage', async ({ page }) => {
  await page.getByRole('link', { name: 'Incoming leads' }).click();
  await expect(page).toHaveURL(/\/incoming$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Incoming leads');
  await expect(page.locator('section.incoming')).toHaveCount(3);
  await expect(page.getByText('3 waiting')).toBeVisible();
  await screenshot(page, 'inbox');
  await checkA11y(page);

  const ana = entry(page, 'Web form: Ana');
  await expect(ana.getByText('Form', { exact: true })).toBeVisible();
  const stage = ana.getByLabel('Stage');
  const second = await stage.locator('option').nth(1).getAttribute('value');
  await stage.selectOption(second);
  await ana.getByRole('button', { name: 'Accept' }).click();
  await expect(page).toHaveURL(/done=accepted/);
  await expect(page.getByRole('status')).toHaveText('The lead was accepted.');
  await expect(entry(page, 'Web form: Ana')).toHaveCount(0);
  await expect(page.locator('section.incoming')).toHaveCount(2);
});

test('declining asks first, then closes the lead', async ({ page }) => {
  await page.goto('/incoming');
  const spam = entry(page, 'Web form: spam');
  // Dismissed: nothing happens.
  page.once('dialog', (d) => d.dismiss());
  await spam.getByRole('button', { name: 'Decline as spam' }).click();
  await expect(page).toHaveURL(/\/incoming$/);
  await expect(spam).toHaveCount(1);
  page.once('dialog', (d) => {
    expect(d.message()).toContain('closed as lost');
    return d.accept();
  });
  await spam.getByRole('button', { name: 'Decline as spam' }).click();
  await expect(page).toHaveURL(/done=declined/);
  await expect(page.getByRole('status')).toHaveText('The lead was declined and closed as lost.');
  await expect(entry(page, 'Web form: spam')).toHaveCount(0);
});

test('linking finds the lead as one types and closes the incoming one', async ({ page }) => {
  await page.goto('/incoming');
  await entry(page, 'Question about the big deal').getByRole('link', { name: 'Link to a lead' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Link to an existing lead');
  const search = page.getByLabel('Lead name or phone');
  await search.pressSequentially('Big', { delay: 30 });
  // The results come in place, without a page load.
  const target = page.locator('#targets li').filter({ hasText: 'Big deal' });
  await expect(target).toHaveCount(1);
  await expect(page.locator('#targets')).not.toContainText('Question about the big deal');
  await screenshot(page, 'link');
  await checkA11y(page);
  await target.getByRole('button', { name: 'Link here' }).click();
  await expect(page).toHaveURL(/done=linked/);
  await expect(page.getByRole('status')).toHaveText('The call now shows on the lead you chose.');
  await expect(page.getByText('Nothing waiting')).toBeVisible();
  await screenshot(page, 'inbox-empty');
});
