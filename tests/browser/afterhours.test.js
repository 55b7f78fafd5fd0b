'use strict';
// Issue 21 in the widget: shoppers after hours (when we are back, in the shopper's time; a reply
// address), with nobody online, across page loads (the panel stays open, the unread badge), after
// the chat (a rating), message times, and phone sizes. Real server and Chromium, as widget.test.js.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const H = require('./helpers');

const W = 'parley-widget';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const FAQ = ['Shipping times', 'Returns', 'Grind sizes', 'Gift cards', 'Wholesale', 'Opening hours'].map((q, i) => ({
  slug: 'faq-' + (i + 1), question: `${q}?`, answer: `About ${q.toLowerCase()}: answer ${i + 1}.`, display_order: i + 1,
}));

// As widget.test.js: its own server and browser; on failure a screenshot and the server's log.
function scenario(name, opts, fn) {
  test(name, { timeout: 90000 }, async () => {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const srv = await H.startServer(opts.serverArgs);
    const browser = await H.launchBrowser();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...(opts.context || {}) });
    const page = await ctx.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    try {
      await fn({ srv, ctx, page });
      assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    } catch (e) {
      await page.screenshot({ path: path.join(H.ARTIFACTS, `FAILED-${slug}.png`) }).catch(() => {});
      fs.writeFileSync(path.join(H.ARTIFACTS, `FAILED-${slug}.server.log`), srv.output());
      throw e;
    } finally {
      await browser.close();
      const exit = await srv.stop();
      assert.deepEqual(exit, { code: 0, sig: null }, 'the server stops cleanly on SIGTERM');
    }
  });
}

const launcher = (page) => page.locator(`${W} .launcher`);
const panel = (page) => page.locator(`${W} .panel`);
const logOf = (page) => page.locator(`${W} .log`);
const input = (page) => page.locator(`${W} .composer textarea`);
const away = (page) => page.locator(`${W} .away`);
const talkBtn = (page) => page.locator(W).getByRole('button', { name: 'Talk to agent' });

async function openWidget(page, url) {
  if (url) await page.goto(url);
  await launcher(page).click();
  await input(page).waitFor({ state: 'visible' });
  await logOf(page).locator('.m').first().waitFor();
}
async function sendText(page, text) {
  const before = await logOf(page).locator('.me[data-state=sent]').count();
  await input(page).fill(text);
  await input(page).press('Enter');
  await logOf(page).locator('.me[data-state=sent]').nth(before).waitFor();
}
async function customerOf(page) {
  // the session's key is parley:<api base>; parley:<api base>:out holds unsent messages
  const raw = await page.evaluate(() => Object.entries(localStorage).find(([k]) => /^parley:.*\/$/.test(k))?.[1]);
  const v = JSON.parse(raw);
  return { token: v.t, conversationId: v.c };
}
const conversation = async (srv, c) => H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}`, c.token);
async function putSettings(srv, body) {
  return H.restOk(srv.base, 'PUT', '/api/v1/admin/settings', await H.adminToken(srv.base), body);
}
// A queued chat, then an online agent who takes it.
async function assignedChat(page, srv) {
  await openWidget(page, srv.base + '/');
  await talkBtn(page).click();
  await page.locator(`${W} .state`, { hasText: /queue/ }).waitFor();
  const c = await customerOf(page);
  const alice = await H.createAgent(srv.base, { username: 'alice', displayName: 'Alice Moreau' });
  await page.locator(`${W} .state`, { hasText: 'You are chatting with Alice Moreau' }).waitFor();
  return { c, alice };
}

// What the widget should say for next_open_at, worked out here with Node's Intl in the browser's
// zone and locale (the widget uses the browser's own).
function expectedBack(iso, timeZone, locale) {
  const d = new Date(iso);
  const dayOf = (x) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(x);
  const days = Math.round((Date.parse(dayOf(d)) - Date.parse(dayOf(new Date()))) / 864e5);
  const when = days <= 0 ? '' : days === 1 ? 'tomorrow ' : 'on ' + new Intl.DateTimeFormat(locale, days < 7
    ? { timeZone, weekday: 'long' } : { timeZone, weekday: 'long', day: 'numeric', month: 'long' }).format(d) + ' ';
  const time = new Intl.DateTimeFormat(locale, { timeZone, hour: 'numeric', minute: '2-digit' }).format(d);
  return { text: `We're back ${when}at ${time} (your time).`, time };
}

// ---------------------------------------------------------------------------------------
scenario('outside business hours: back at a time in the shopper\'s zone, and an e-mail left is stored',
  { context: { timezoneId: 'Asia/Kolkata', locale: 'en-GB' } }, async ({ srv, page }) => {
    // Open only tomorrow (UTC), 09:00 to 17:00 UTC: closed now, whatever the time of day.
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const tomorrow = days[(new Date().getUTCDay() + 1) % 7];
    await putSettings(srv, { business_hours: { timezone: 'UTC', weekly: [{ day: tomorrow, from: '09:00', to: '17:00' }] } });
    const cfg = await H.restOk(srv.base, 'GET', '/api/v1/widget/config');
    assert.equal(cfg.open_now, false);

    await openWidget(page, srv.base + '/');
    await away(page).waitFor();
    const want = expectedBack(cfg.next_open_at, 'Asia/Kolkata', 'en-GB');
    assert.equal(want.time, '14:30', '09:00 UTC is 14:30 in India'); // the widget converts, it does not copy
    const text = await away(page).locator('.awaytxt').textContent();
    assert.ok(text.startsWith(want.text), `${JSON.stringify(text)} starts with ${JSON.stringify(want.text)}`);
    assert.match(text, /Leave your e-mail address/);
    await H.shot(page, '21-closed-before-handoff');

    // Handoff still queues; the form is still offered after it.
    await talkBtn(page).click();
    await page.locator(`${W} .state`, { hasText: /queue/ }).waitFor();
    await away(page).locator('input[type=email]').waitFor();

    // The server refuses what the browser lets through (no dot in the domain): said at the form.
    const email = away(page).locator('input[type=email]');
    await email.fill('shopper@localhost');
    await away(page).getByRole('button', { name: 'Send' }).click();
    await away(page).locator('.err', { hasText: 'name@example.com' }).waitFor();
    const c = await customerOf(page);
    assert.equal((await conversation(srv, c)).conversation.contact, undefined, 'nothing stored');

    await email.fill('shopper@example.com');
    await email.press('Enter');
    await away(page).getByText("Thanks! We'll write to shopper@example.com.").waitFor();
    assert.equal(await away(page).locator('.err').isVisible(), false);
    assert.deepEqual((await conversation(srv, c)).conversation.contact, { email: 'shopper@example.com' });
    await H.shot(page, '22-closed-email-left');

    // A reload shows the stored address, and "Change" replaces it.
    await page.reload();
    await panel(page).waitFor(); // open across the reload
    await away(page).getByText("Thanks! We'll write to shopper@example.com.").waitFor();
    await away(page).getByRole('button', { name: 'Change' }).click();
    await email.fill('other@example.org');
    await email.press('Enter');
    await away(page).getByText("Thanks! We'll write to other@example.org.").waitFor();
    assert.equal((await conversation(srv, c)).conversation.contact.email, 'other@example.org');
  });

scenario('nobody online during hours: said plainly, the e-mail form offered; phone sizes and all questions',
  { context: PHONE }, async ({ srv, page }) => {
    await H.addFaq(srv.base, FAQ);
    await openWidget(page, srv.base + '/');
    await away(page).waitFor();
    assert.match(await away(page).locator('.awaytxt').textContent(), /^Nobody from our team is online right now\. Leave your e-mail/);
    await away(page).locator('input[type=email]').waitFor();

    // Phone: 16 px in the fields (iOS zooms into smaller ones), 44 px touch targets.
    const fontSize = (loc) => loc.evaluate((e) => getComputedStyle(e).fontSize);
    assert.equal(await fontSize(input(page)), '16px', 'message input');
    assert.equal(await fontSize(away(page).locator('input[type=email]')), '16px', 'e-mail input');
    const tall = async (loc, what) => {
      const box = await loc.boundingBox();
      assert.ok(box && box.height >= 44, `${what} is ${box && box.height}px tall`);
    };
    const chips = page.locator(`${W} .quick .chip`);
    const shown = chips.filter({ visible: true });
    for (let i = 0; i < await shown.count(); i++) await tall(shown.nth(i), 'quick reply ' + i);
    await tall(talkBtn(page), 'Talk to agent');
    await tall(page.locator(`${W} .send`), 'Send');
    await tall(input(page), 'the message input');
    await tall(page.locator(W).getByRole('button', { name: 'Close chat' }), 'Close');
    await tall(away(page).getByRole('button', { name: 'Send' }), 'e-mail Send');
    await H.shot(page, '23-phone-nobody-online');

    // "More questions" shows every question in the log's place: each one can be reached.
    const more = page.locator(W).getByRole('button', { name: /More questions/ });
    const all = (await H.restOk(srv.base, 'GET', '/api/v1/faq')).faq; // ours and the demo shop's
    assert.ok(all.length > FAQ.length);
    assert.equal(await more.textContent(), `More questions (${all.length - 3})\u2026`);
    await more.click();
    await page.locator(`${W} .qhead`, { hasText: `All ${all.length} questions` }).waitFor();
    assert.equal(await logOf(page).isVisible(), false, 'the list takes the log\'s place');
    const panelBox = await panel(page).boundingBox();
    for (const f of all) {
      const chip = page.locator(`${W} .quick`).getByRole('button', { name: f.question, exact: true });
      await chip.scrollIntoViewIfNeeded();
      const box = await chip.boundingBox();
      assert.ok(box.height >= 44 && box.y >= panelBox.y && box.y + box.height <= panelBox.y + panelBox.height,
        `${f.question} is on screen: ${JSON.stringify(box)}`);
    }
    await H.shot(page, '24-phone-all-questions');
    await page.locator(`${W} .quick`).getByRole('button', { name: FAQ[5].question, exact: true }).click();
    await logOf(page).locator('.bot .bub', { hasText: FAQ[5].answer }).waitFor();
    await page.locator(`${W} .qhead`).waitFor({ state: 'hidden' });

    // Someone comes online: the next time the panel opens the notice is gone.
    await H.createAgent(srv.base, { username: 'bob', displayName: 'Bob' });
    await page.locator(W).getByRole('button', { name: 'Close chat' }).click();
    await launcher(page).click();
    await away(page).waitFor({ state: 'hidden' });
    await H.shot(page, '25-phone-agent-online');
  });

scenario('the panel stays open across page loads while the chat is open', {}, async ({ srv, page }) => {
  await openWidget(page, srv.base + '/');
  await sendText(page, 'Do you roast on Mondays?');
  await page.reload();
  await logOf(page).locator('.me .bub', { hasText: 'Do you roast on Mondays?' }).waitFor();
  assert.equal(await panel(page).isVisible(), true, 'open without a click');
  assert.equal(await launcher(page).getAttribute('aria-expanded'), 'true');
  // The page keeps its focus: a restored panel does not take it.
  assert.equal(await page.evaluate(() => document.querySelector('parley-widget').shadowRoot.activeElement), null);
  await page.goto(srv.base + '/#tea'); // another page of the shop, same tab
  await page.reload();
  await logOf(page).locator('.me .bub', { hasText: 'Do you roast on Mondays?' }).waitFor();
  assert.equal(await panel(page).isVisible(), true);

  await page.locator(W).getByRole('button', { name: 'Close chat' }).click();
  await page.reload();
  await launcher(page).waitFor();
  await page.waitForFunction(() => document.querySelector('parley-widget')?.shadowRoot.querySelector('.root').dataset.phase === 'automated');
  assert.equal(await panel(page).isVisible(), false, 'closed by the shopper: stays closed');
});

scenario('replies that came while the shopper was away show as unread on the launcher', {}, async ({ srv, page }) => {
  const { c, alice } = await assignedChat(page, srv);
  await page.locator(W).getByRole('button', { name: 'Close chat' }).click();
  await page.goto(srv.base + '/healthz'); // left the shop
  for (const content of ['Your parcel left us yesterday.', 'Tracking: https://example.com/t/42']) {
    await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token, { content });
  }
  await page.goto(srv.base + '/');
  await page.locator(`${W} .badge`, { hasText: '2' }).waitFor();
  assert.match(await launcher(page).getAttribute('aria-label'), /2 unread/);
  assert.equal(await panel(page).isVisible(), false);
  await H.shot(page, '26-unread-after-away');

  await launcher(page).click();
  await page.locator(`${W} .badge`).waitFor({ state: 'hidden' });
  await logOf(page).locator('.agent', { hasText: 'Tracking:' }).waitFor();
  const last = (await conversation(srv, c)).messages.at(-1).seq;
  await H.until('the read mark', async () => (await conversation(srv, c)).conversation.customer_last_read_seq >= last);
  await page.reload(); // read now: no badge, the panel open as left
  await logOf(page).locator('.agent', { hasText: 'Tracking:' }).waitFor();
  assert.equal(await page.locator(`${W} .badge`).isVisible(), false);
});

scenario('an idle chat is closed by the server; the shopper rates it in one tap with a comment; times are local',
  { serverArgs: ['--idle-close-unit-seconds'], context: { timezoneId: 'America/New_York', locale: 'en-GB' } },
  async ({ srv, page }) => {
    const { c, alice } = await assignedChat(page, srv);
    await sendText(page, 'Is the Kenya AA still in stock?');
    await putSettings(srv, { idle_close_minutes: 2 }); // "minutes" are seconds here
    await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token, { content: 'Yes, 14 bags left.' });
    await logOf(page).locator('.sys', { hasText: 'without a reply' }).waitFor({ timeout: 20000 });
    const rateBox = page.locator(`${W} .ended .rate`);
    await rateBox.getByText('How did we do?').waitFor();

    // Times: every message's, short, in the shopper's zone.
    const { messages } = await conversation(srv, c);
    const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: 'numeric', minute: '2-digit' });
    const today = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(d);
    for (const m of messages.filter((x) => x.sender_type !== 'system')) {
      const d = new Date(m.created_at);
      if (today(d) !== today(new Date())) continue; // a chat across midnight also shows the day
      const shown = await logOf(page).locator(`.m[data-seq="${m.seq}"] .tm`).textContent();
      assert.equal(shown, fmt.format(d), `time of message ${m.seq}`);
      assert.match(shown, /^\d{1,2}:\d{2}$/);
    }

    await rateBox.getByRole('textbox', { name: 'Comment (optional)' }).fill('Quick and friendly.');
    await H.shot(page, '27-closed-rate');
    await rateBox.getByRole('button', { name: '4 of 5 stars' }).click();
    await rateBox.getByText('Thanks for your feedback!').waitFor();
    assert.equal(await rateBox.locator('.star[aria-pressed=true]').count(), 4);
    assert.equal(await rateBox.locator('.star:disabled').count(), 5, 'rated once');
    const rated = (await conversation(srv, c)).conversation.rating;
    assert.equal(rated.score, 4);
    assert.equal(rated.comment, 'Quick and friendly.');
    await H.shot(page, '28-closed-rated');

    await page.reload(); // the closed chat (with its thanks) is still there
    await rateBox.getByText('Thanks for your feedback!').waitFor();
    assert.equal(await rateBox.locator('.star[aria-pressed=true]').count(), 4);
    await page.locator(W).getByRole('button', { name: 'Start a new conversation' }).click();
    await talkBtn(page).waitFor();
  });
