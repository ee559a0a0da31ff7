// The pipeline board in a real browser: quick-add a lead in a column, drag it with the
// mouse to another stage (SortableJS listens to real pointer moves), reload and find it
// there; the keyboard way (the card's "Move" form) too; axe and screenshots of the
// board, the list, the lead's card and the settings pages, at laptop and phone widths.
import { test, expect } from '@playwright/test';
import { admin, signIn, screenshot, checkA11y } from '../lib/index.mjs';

const column = (page, name) =>
  page.locator('section.column').filter({ has: page.getByRole('heading', { name, exact: true }) });

async function quickAdd(page, stage, name, price) {
  const col = column(page, stage);
  await col.getByLabel("New lead's name").fill(name);
  await col.getByLabel('Price').fill(price);
  const answered = page.waitForResponse((r) => r.url().endsWith('/leads/quick') && r.request().method() === 'POST');
  await col.getByRole('button', { name: 'Add lead' }).click();
  expect((await answered).status()).toBe(200);
  await expect(column(page, stage).locator('li.lead-card', { hasText: name })).toBeVisible();
}

/** Drags `card` onto `target` with real mouse steps, as a person does. */
async function drag(page, card, target) {
  const from = await card.boundingBox();
  const to = await target.boundingBox();
  await page.mouse.move(from.x + from.width / 2, from.y + 12);
  await page.mouse.down();
  const steps = 12;
  for (let i = 1; i <= steps; i++) {
    await page.mouse.move(
      from.x + from.width / 2 + ((to.x + to.width / 2 - from.x - from.width / 2) * i) / steps,
      from.y + 12 + ((to.y + 30 - from.y - 12) * i) / steps,
    );
    await page.waitForTimeout(30);
  }
  await page.mouse.up();
}

test('drag a lead to another stage and see it there after a reload', async ({ page }) => {
  const { email, password } = admin();
  await signIn(page, email, password);
  await page.goto('/leads');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Pipeline');
  await quickAdd(page, 'First contact', 'Dragged lead', '1200');
  await quickAdd(page, 'First contact', 'Keyboard lead', '300');
  await expect(column(page, 'First contact').locator('[data-count]')).toHaveText('2 leads');

  const card = column(page, 'First contact').locator('li.lead-card', { hasText: 'Dragged lead' });
  const target = column(page, 'Negotiation').locator('ol[data-board-column]');
  const moved = page.waitForResponse((r) => r.url().endsWith('/leads/move') && r.request().method() === 'POST');
  await drag(page, card, target);
  expect((await moved).status()).toBe(204);
  // The board refreshes itself (htmx) with the new figures, before any reload.
  await expect(column(page, 'Negotiation').locator('[data-count]')).toHaveText('1 lead');
  await expect(column(page, 'First contact').locator('[data-count]')).toHaveText('1 lead');

  await page.reload();
  await expect(column(page, 'Negotiation').locator('li.lead-card', { hasText: 'Dragged lead' })).toBeVisible();
  await expect(column(page, 'First contact').locator('li.lead-card', { hasText: 'Dragged lead' })).toHaveCount(0);
  await expect(column(page, 'Negotiation').locator('[data-count]')).toHaveText('1 lead');

  // Without a mouse: the card's Move form, by keyboard.
  const kb = column(page, 'First contact').locator('li.lead-card', { hasText: 'Keyboard lead' });
  await kb.locator('summary').focus();
  await page.keyboard.press('Enter');
  await kb.getByLabel('Stage for Keyboard lead').selectOption({ label: 'Closed - won' });
  await kb.getByRole('button', { name: 'Move', exact: true }).press('Enter');
  await page.waitForLoadState('load');
  await expect(column(page, 'Closed - won').locator('li.lead-card', { hasText: 'Keyboard lead' })).toBeVisible();

  await checkA11y(page);
  await screenshot(page, 'board-desktop');
  await page.setViewportSize({ width: 375, height: 812 });
  await page.reload();
  await screenshot(page, 'board-phone');
});

test('the list, the card and the settings pages pass axe at both widths', async ({ page }) => {
  const { email, password } = admin();
  await signIn(page, email, password);
  await page.goto('/leads');
  await quickAdd(page, 'First contact', 'Card lead', '5000');
  await page.goto('/leads/list');
  await expect(page.getByRole('link', { name: 'Card lead' })).toBeVisible();
  await checkA11y(page);
  await screenshot(page, 'list-desktop');
  await page.getByRole('link', { name: 'Card lead' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Card lead');
  await checkA11y(page, { exclude: ['#feed'] });
  await screenshot(page, 'card-desktop');
  const cardUrl = page.url();
  await page.goto('/settings/pipelines');
  await checkA11y(page);
  await screenshot(page, 'pipelines-desktop');
  await page.goto('/settings/fields');
  await page.getByLabel('Name', { exact: true }).fill('Source');
  await page.getByLabel('Type').selectOption('select');
  await page.getByLabel('Options').fill('Web\nPhone');
  await page.getByRole('button', { name: 'Create field' }).click();
  await expect(page.getByRole('cell', { name: 'Source', exact: true })).toBeVisible();
  await checkA11y(page);
  await screenshot(page, 'fields-desktop');

  await page.setViewportSize({ width: 375, height: 812 });
  for (const [path, name] of [['/leads/list', 'list'], [new URL(cardUrl).pathname, 'card'], ['/settings/pipelines', 'pipelines'], ['/settings/fields', 'fields']]) {
    await page.goto(path);
    await screenshot(page, `${name}-phone`);
  }
});
