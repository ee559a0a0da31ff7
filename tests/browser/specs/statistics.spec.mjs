// Call statistics (ui/statistics.rs): the table shows the figures of the calls the Rust
// test made through the PBX simulator (see crates/sb-testkit/tests/browser/statistics.rs),
// both charts are drawn, and the downloaded CSV holds the same numbers.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { admin, signIn, screenshot, checkA11y } from '../lib/index.mjs';

const managerName = process.env.SB_STATS_MANAGER;

test('the figures, the charts and the CSV of today\'s calls', async ({ page }) => {
  expect(managerName, 'SB_STATS_MANAGER is set by the Rust test').toBeTruthy();
  // The charts run under the Content-Security-Policy: nothing may be refused.
  const refused = [];
  page.on('console', (m) => { if (m.type() === 'error') refused.push(m.text()); });
  page.on('pageerror', (e) => refused.push(e.message));
  const { email, password } = admin();
  await signIn(page, email, password);
  await page.getByRole('link', { name: 'Call statistics' }).click();
  await expect(page).toHaveURL(/\/calls\/statistics$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Call statistics');
  await expect(page.getByRole('link', { name: 'Today' })).toHaveAttribute('aria-current', 'page');

  const row = page.locator('#stats-table tbody tr', { has: page.getByRole('rowheader', { name: managerName }) });
  const cell = (col) => row.locator(`td[data-col="${col}"]`);
  await expect(cell('incoming')).toHaveText('3');
  await expect(cell('outgoing')).toHaveText('1');
  await expect(cell('answered')).toHaveText('3');
  await expect(cell('missed')).toHaveText('1');
  await expect(cell('not-called-back')).toHaveText('1');
  await expect(cell('talk')).toHaveText('2:40');
  const total = page.locator('#stats-table tfoot tr');
  await expect(total.locator('td[data-col="incoming"]')).toHaveText('3');

  // Both charts are drawn: a canvas with a size in each.
  for (const id of ['#chart-days', '#chart-managers']) {
    const canvas = page.locator(`${id} canvas`);
    await expect(canvas).toHaveCount(1);
    const box = await canvas.boundingBox();
    expect(box.width).toBeGreaterThan(200);
    expect(box.height).toBeGreaterThan(100);
  }
  await expect(page.locator('#chart-days .u-legend')).toContainText('Missed');

  // The table's CSV, downloaded through its link, holds the same numbers.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download table (CSV)' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^call-statistics-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = readFileSync(await download.path(), 'utf8').split('\r\n');
  expect(csv[0]).toBe('Manager,Incoming,Outgoing,Answered,Missed,"Missed, not called back",Talk time (s),Average call (s),Average time to answer (s)');
  expect(csv.find((l) => l.startsWith(`${managerName},`))).toMatch(new RegExp(`^${managerName},3,1,3,1,1,160,53,`));
  expect(csv.find((l) => l.startsWith('Total,'))).toMatch(/^Total,3,1,3,1,1,160,53,/);

  // The calls' CSV: one line per call.
  const [log] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download calls (CSV)' }).click(),
  ]);
  const lines = readFileSync(await log.path(), 'utf8').trim().split('\r\n');
  expect(lines).toHaveLength(5);
  expect(lines.filter((l) => l.includes(',Incoming,Answered,'))).toHaveLength(2);

  expect(refused, 'no script error or CSP refusal').toEqual([]);
  await checkA11y(page);
  await screenshot(page, 'statistics-desktop');
  await page.setViewportSize({ width: 375, height: 812 });
  await page.waitForTimeout(200);
  await screenshot(page, 'statistics-phone');

  // This month: one bar per day, the same call counts.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('link', { name: 'This month' }).click();
  await expect(page.getByRole('link', { name: 'This month' })).toHaveAttribute('aria-current', 'page');
  await expect(cell('incoming')).toHaveText('3');
  await expect(page.locator('#chart-days canvas')).toHaveCount(1);
  await screenshot(page, 'statistics-month');
});

test('a period without calls shows the empty state, not empty charts', async ({ page }) => {
  const { email, password } = admin();
  await signIn(page, email, password);
  await page.goto('/calls/statistics');
  await page.getByLabel('From', { exact: true }).fill('2020-01-01');
  await page.getByLabel('To', { exact: true }).fill('2020-01-31');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.locator('#stats-empty')).toContainText('No calls in this period.');
  await expect(page.locator('canvas')).toHaveCount(0);
  await checkA11y(page);
  await screenshot(page, 'statistics-empty');
});
