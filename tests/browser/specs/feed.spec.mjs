// The card's feed (ui/notes.rs): add a note and see it in the feed, edit and pin it, and
// the audio player of a recorded call plays the recording behind the session. The Rust
// test made the card: a contact with an answered, recorded call (SB_FEED_CONTACT).
import { test, expect } from '@playwright/test';
import { admin, signIn, screenshot, checkA11y } from '../lib/index.mjs';

const contact = process.env.SB_FEED_CONTACT;

test('add a note and see it in the feed; the recorded call has its player', async ({ page }) => {
  expect(contact, 'SB_FEED_CONTACT is set by the Rust test').toBeTruthy();
  const { email, password } = admin();
  await signIn(page, email, password);
  await page.goto(`/contacts/${contact}/feed`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Marta Ruiz');

  const feed = page.locator('ol.feed');
  await expect(feed.locator('li.feed-call')).toContainText('Incoming call');
  await expect(feed.locator('li.feed-call')).toContainText('Answered');

  // The player: present, and its audio loads (behind this session's cookie).
  const audio = feed.locator('audio.recording');
  await expect(audio).toHaveCount(1);
  await expect(audio).toHaveAttribute('preload', 'none');
  const src = await audio.getAttribute('src');
  expect(src).toMatch(/^\/calls\/\d+\/recording$/);
  const res = await page.request.get(src);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toBe('audio/wav');
  const duration = await audio.evaluate(
    (a) =>
      new Promise((resolve, reject) => {
        a.addEventListener('loadedmetadata', () => resolve(a.duration), { once: true });
        a.addEventListener('error', () => reject(new Error(`audio error ${a.error && a.error.code}`)), { once: true });
        a.preload = 'metadata';
        a.load();
      }),
  );
  expect(duration).toBeGreaterThan(0);

  // Add a note: htmx answers the refreshed feed in place, the note on top.
  const url = page.url();
  await page.getByLabel('New note').fill('Called back: sending the offer today');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(feed.locator('> li').first()).toContainText('Called back: sending the offer today');
  await expect(page.getByLabel('New note')).toHaveValue('');
  expect(page.url(), 'no page load, the feed was swapped in').toBe(url);
  // It is there after a reload too (stored, not only shown).
  await page.reload();
  await expect(feed.locator('> li').first()).toContainText('Called back: sending the offer today');

  // A second note, then pin the first one: it moves on top with its badge.
  await page.getByLabel('New note').fill('Second note');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(feed.locator('> li').first()).toContainText('Second note');
  const firstNote = feed.locator('li.feed-note', { hasText: 'Called back' });
  await firstNote.getByRole('button', { name: 'Pin' }).click();
  await expect(feed.locator('> li').first()).toContainText('Called back: sending the offer today');
  await expect(feed.locator('> li').first()).toContainText('Pinned');

  // Edit it inline.
  await feed.locator('li.feed-note', { hasText: 'Called back' }).getByRole('link', { name: 'Edit' }).click();
  const edit = page.getByLabel('Edit the note');
  await expect(edit).toHaveValue('Called back: sending the offer today');
  await edit.fill('Called back: the offer went out');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(feed.locator('> li').first()).toContainText('Called back: the offer went out');

  await checkA11y(page);
  await screenshot(page, 'feed-desktop');
  await page.setViewportSize({ width: 375, height: 812 });
  await screenshot(page, 'feed-phone');
});

test('an empty note is refused beside the field', async ({ page }) => {
  const { email, password } = admin();
  await signIn(page, email, password);
  await page.goto(`/contacts/${contact}/feed`);
  // Past the browser's own "required" check: a note of spaces reaches the server.
  await page.getByLabel('New note').fill('   ');
  await page.getByRole('button', { name: 'Add note' }).click();
  const field = page.getByLabel('New note');
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#note-text-error')).toHaveText('This field is required.');
  await checkA11y(page);
  await screenshot(page, 'feed-refused');
});
