// Telephony in a real browser, driven by the PBX simulator (the Rust side,
// tests/browser/calls.rs, installed it, made Maria (extension 102), Bob (100) and Maria's
// customer Marta Ruiz, and runs a control server the spec asks to make calls):
// - the simulator rings Maria's extension: her pop-up names the customer, shows a timer
//   once answered and closes into the result form; the result lands on the card; Bob's
//   browser, open all along, never shows the call;
// - the pop-up survives a dropped WebSocket and a page reload mid-call;
// - an unknown caller's pop-up offers "create contact" with the number filled in;
// - the card's call button makes the simulator receive the callback request for
//   Maria's extension; with the PBX out of money the failure reads as such;
// - the header's dialer.
import { test, expect } from '@playwright/test';
import { signIn, screenshot, checkA11y } from '../lib/index.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set (crates/sb-testkit/tests/browser/main.rs sets it)`);
  return v;
};
const control = () => env('SB_CALLS_CONTROL');
const contact = () => env('SB_CALLS_CONTACT');

async function ring(request, body) {
  const r = await request.post(`${control()}/ring`, { data: body });
  expect(r.ok()).toBeTruthy();
}

async function asManager(browser, who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, env(who), env('SB_MANAGER_PASSWORD'));
  return { context, page };
}

async function connected(page) {
  await expect(page.locator('#live-calls')).toHaveAttribute('data-live', 'connected');
}

test('a call rings Maria: pop-up with the customer, timer, result form; Bob sees nothing', async ({ browser, request }) => {
  const maria = await asManager(browser, 'SB_MARIA');
  const bob = await asManager(browser, 'SB_BOB');
  await maria.page.goto('/contacts');
  await bob.page.goto('/');
  await connected(maria.page);
  await connected(bob.page);

  await ring(request, { caller: '34600123987', ext: '102', scenario: 'answered', gap_ms: 3000 });
  const popup = maria.page.locator('.call-popup');
  await expect(popup).toHaveCount(1);
  await expect(popup).toHaveAttribute('data-state', 'ringing');
  await expect(popup.getByRole('heading')).toHaveText('Incoming call');
  await expect(popup.getByRole('link', { name: 'Marta Ruiz' })).toHaveAttribute('href', `/contacts/${contact()}`);
  await expect(popup).toContainText('+34600123987');
  await expect(popup).toContainText('Maria');
  await expect(popup.getByRole('link', { name: 'Create contact' })).toBeHidden();
  await screenshot(maria.page, 'popup-ringing');

  await expect(popup).toHaveAttribute('data-state', 'answered', { timeout: 8000 });
  await expect(popup.getByRole('heading')).toHaveText('In conversation');
  const timer = popup.locator('.call-timer');
  await expect(timer).toBeVisible();
  await expect(timer).not.toHaveText('0:00', { timeout: 4000 });
  await screenshot(maria.page, 'popup-talking');

  await expect(popup).toHaveAttribute('data-state', 'result', { timeout: 8000 });
  const note = popup.getByLabel('Call result');
  await expect(note).toBeVisible();
  await note.fill('Wants a quote for 20 seats');
  await popup.getByLabel('Link to lead').selectOption('new');
  await popup.getByLabel("New lead's name").fill('Marta: 20 seats');
  await screenshot(maria.page, 'popup-result');
  await checkA11y(maria.page);
  await popup.getByRole('button', { name: 'Save the result' }).click();
  await expect(popup).toContainText("Saved on the call's note.");

  // Bob's page was open the whole time and never showed the call.
  await expect(bob.page.locator('.call-popup')).toHaveCount(0);

  await maria.page.goto(`/contacts/${contact()}`);
  await expect(maria.page.locator('#feed')).toContainText('Wants a quote for 20 seats');
  await expect(maria.page.locator('#feed')).toContainText('Incoming call');
  await maria.context.close();
  await bob.context.close();
});

test('the pop-up comes back after the WebSocket drops and after a reload mid-call', async ({ browser, request }) => {
  const maria = await asManager(browser, 'SB_MARIA');
  const page = maria.page;
  const sockets = [];
  await page.routeWebSocket(/\/live$/, (ws) => {
    ws.connectToServer();
    sockets.push(ws);
  });
  await page.goto('/');
  await connected(page);
  await ring(request, { caller: '34600123987', ext: '102', scenario: 'answered', gap_ms: 4000 });
  const popup = page.locator('.call-popup');
  await expect(popup).toHaveAttribute('data-state', 'answered', { timeout: 12000 });

  // The network drops: the page reconnects by itself and keeps the call.
  sockets[sockets.length - 1].close({ code: 1006 });
  await expect(page.locator('#live-calls')).toHaveAttribute('data-live', 'disconnected');
  await connected(page);
  expect(sockets.length).toBeGreaterThanOrEqual(2);
  await expect(popup).toHaveCount(1);
  await expect(popup).toHaveAttribute('data-state', 'answered');

  // A reload (the page is gone) shows it again from the server's calls in progress.
  await page.reload();
  await connected(page);
  await expect(popup).toHaveCount(1);
  await expect(popup).toHaveAttribute('data-state', 'answered');
  await expect(popup.getByRole('link', { name: 'Marta Ruiz' })).toBeVisible();
  await expect(popup.locator('.call-timer')).not.toHaveText('0:00');
  await expect(popup).toHaveAttribute('data-state', 'result', { timeout: 12000 });
  await maria.context.close();
});

test('an unknown caller: the pop-up offers to create the contact with the number', async ({ browser, request }) => {
  const maria = await asManager(browser, 'SB_MARIA');
  const page = maria.page;
  await page.goto('/');
  await connected(page);
  await ring(request, { caller: '34699000111', ext: '102', scenario: 'missed', gap_ms: 1500 });
  const popup = page.locator('.call-popup');
  await expect(popup).toContainText('Unknown number');
  await expect(popup).toContainText('+34699000111');
  await expect(popup).toHaveAttribute('data-state', 'missed', { timeout: 10000 });
  await expect(popup.getByRole('heading')).toHaveText('Missed call');
  await expect(popup.getByRole('button', { name: 'Call back' })).toBeVisible();
  await screenshot(page, 'popup-missed-unknown');
  await popup.getByRole('link', { name: 'Create contact' }).click();
  await expect(page).toHaveURL(/\/contacts\/new\?phone=/);
  await expect(page.locator('main input[type=tel]').first()).toHaveValue('+34699000111');
  await page.getByLabel('Name', { exact: true }).fill('New Caller');
  await page.getByRole('button', { name: /create|save/i }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('New Caller');
  await expect(page.locator('main')).toContainText('699');
  await maria.context.close();
});

test("a card's call button rings Maria's extension; the PBX out of money says so", async ({ browser, request }) => {
  const maria = await asManager(browser, 'SB_MARIA');
  const page = maria.page;
  await page.goto(`/contacts/${contact()}`);
  await connected(page);
  await page.getByRole('button', { name: /^Call \+34/ }).click();
  await expect(page.locator('#dial-status')).toContainText('Your phone will ring first');
  await expect
    .poll(async () => (await (await request.get(`${control()}/callbacks`)).json()).map((c) => c.rung.join(',')))
    .toContain('102');
  // The simulator then calls Maria's extension: her outgoing call shows.
  await expect(page.locator('.call-popup.outgoing')).toHaveCount(1, { timeout: 8000 });
  await expect(page.locator('.call-popup.outgoing')).toContainText('Marta Ruiz');
  await screenshot(page, 'card-call-button');

  await request.post(`${control()}/failure`, { data: { mode: 'no_money' } });
  await page.getByRole('button', { name: /^Call \+34/ }).click();
  await expect(page.locator('#dial-status')).toContainText('run out of money');
  // The same failure reaches every tab of hers as an alert.
  await expect(page.locator('.call-popup[data-state=error]')).toContainText('run out of money');
  await screenshot(page, 'card-call-no-money');
  await request.post(`${control()}/failure`, { data: { mode: 'none' } });

  // The header's dialer, with its keypad.
  await page.getByText('Dial', { exact: true }).click();
  await page.getByLabel('Number to call').fill('+34');
  for (const k of '600123987') await page.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: k, exact: true }).click();
  await expect(page.getByLabel('Number to call')).toHaveValue('+34600123987');
  await screenshot(page, 'dialer');
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  await expect(page.locator('#dial-status')).toContainText('Your phone will ring first');
  await page.setViewportSize({ width: 375, height: 740 });
  await screenshot(page, 'card-phone');
  await maria.context.close();
});

test('the live board follows a call as it rings, is answered and ends', async ({ browser, request }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, env('SB_ADMIN_EMAIL'), env('SB_ADMIN_PASSWORD'));
  await page.goto('/calls/live');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Live board');
  await connected(page);
  const maria = page.locator('tr', { hasText: 'Maria' });
  await expect(maria).toHaveAttribute('data-agent-state', 'free');
  await ring(request, { caller: '34600123987', ext: '102', scenario: 'answered', gap_ms: 2500 });
  await expect(maria).toHaveAttribute('data-agent-state', 'ringing', { timeout: 8000 });
  await expect(maria).toHaveAttribute('data-agent-state', 'talking', { timeout: 10000 });
  await expect(maria).toContainText('Marta Ruiz');
  await expect(maria.locator('time.elapsed')).not.toHaveText('0:00', { timeout: 4000 });
  await screenshot(page, 'live-board');
  await checkA11y(page);
  await expect(maria).toHaveAttribute('data-agent-state', 'free', { timeout: 10000 });
  await context.close();
});
