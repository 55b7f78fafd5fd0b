'use strict';
// The customer widget in a real (headless Debian) Chromium against the real parley-server.
// Every test starts its own server (fresh data dir) and browser context; screenshots of the
// main states go to PARLEY_TEST_ARTIFACTS (CTest: <build>/test-artifacts/browser/).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const H = require('./helpers');

const BUSY = 'All agents are busy. You are in queue.';
const FAQ = [
  { slug: 'test-shipping', question: 'How long does delivery take?', answer: 'Orders ship within one business day; delivery takes 2 to 4 days.', display_order: 1 },
  { slug: 'test-returns', question: 'Can I return an opened bag?', answer: 'Opened bags can be returned within 14 days for store credit.', display_order: 2 },
];

// Runs one scenario with its own server and browser (a fresh profile); on failure keeps a
// screenshot and the server's output in the artifacts directory. The browser is closed before
// the server is stopped, so no idle keep-alive connection holds up the server's shutdown.
function scenario(name, opts, fn) {
  if (typeof opts === 'function') [fn, opts] = [opts, {}];
  test(name, { timeout: 90000 }, async () => {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const srv = await H.startServer(opts.serverArgs);
    const browser = await H.launchBrowser();
    const ctx = await browser.newContext({ viewport: opts.viewport || { width: 1280, height: 800 }, ...(opts.context || {}) });
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

// ---- widget helpers (Playwright's CSS and role selectors pierce the open shadow root) -----
const W = 'parley-widget';
const launcher = (page) => page.locator(`${W} .launcher`);
const logOf = (page) => page.locator(`${W} .log`);
const talkBtn = (page) => page.locator(`${W}`).getByRole('button', { name: 'Talk to agent' });
const input = (page) => page.locator(`${W} textarea`);

// Opens the panel; after a reload it may be open already (it stays open across page loads).
async function openWidget(page, url) {
  if (url) await page.goto(url);
  await launcher(page).waitFor();
  if (await launcher(page).getAttribute('aria-expanded') !== 'true') await launcher(page).click();
  await input(page).waitFor({ state: 'visible' });
  // the bot greeting of a new conversation (or the restored history) is there
  await logOf(page).locator('.m').first().waitFor();
}

async function sendText(page, text) {
  const before = await logOf(page).locator('.me[data-state=sent]').count();
  await input(page).fill(text);
  await input(page).press('Enter');
  await logOf(page).locator('.me[data-state=sent]').nth(before).waitFor();
}

// The customer's token and conversation as the widget stored them.
async function customerOf(page) {
  // the session's key is parley:<api base>; parley:<api base>:out holds unsent messages
  const raw = await page.evaluate(() => Object.entries(localStorage).find(([k]) => /^parley:.*\/$/.test(k))?.[1]);
  const v = JSON.parse(raw);
  return { token: v.t, conversationId: v.c };
}

async function queuedConversation(page, srv) {
  await openWidget(page, srv.base + '/');
  await talkBtn(page).click();
  await logOf(page).getByText(BUSY, { exact: true }).waitFor();
  return customerOf(page);
}

// Storefront variants served in place of '/' (the real server still serves widget.js and the API).
async function routeStorefront(page, srv, edit) {
  const html = edit(fs.readFileSync(path.join(H.WEB_ROOT, 'index.html'), 'utf8'));
  await page.route(srv.base + '/', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
}

// ---------------------------------------------------------------------------------------
scenario('FAQ quick reply is answered at once', async ({ srv, page }) => {
  await H.addFaq(srv.base, FAQ);
  await page.goto(srv.base + '/');
  await launcher(page).waitFor();
  assert.equal(await page.locator(`${W} .panel`).isVisible(), false, 'panel starts closed');
  await H.shot(page, '01-storefront-launcher');

  await openWidget(page);
  const chips = page.locator(`${W} .quick .chip`);
  const more = page.locator(W).getByRole('button', { name: 'More questions' });
  if (await more.count()) { // long FAQ lists show four questions first
    const shown = await chips.filter({ visible: true }).count();
    await more.click();
    assert.ok(await chips.filter({ visible: true }).count() > shown, 'More questions shows the rest');
  }
  const chip = page.locator(`${W} .quick`).getByRole('button', { name: FAQ[0].question, exact: true });
  await chip.click();
  await logOf(page).locator('.me .bub', { hasText: FAQ[0].question }).waitFor();
  await logOf(page).locator('.bot .bub', { hasText: FAQ[0].answer }).waitFor();
  await logOf(page).locator('.me[data-state=sent]').first().waitFor();
  await H.shot(page, '02-panel-bot-answer');

  // the server recorded it as a quick reply for that entry
  const c = await customerOf(page);
  const { messages } = await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}/messages?after_seq=0`, c.token);
  const mine = messages.filter((m) => m.sender_type === 'customer');
  assert.equal(mine.length, 1);
  assert.equal(mine[0].kind, 'quick_reply');
  assert.match(mine[0].client_msg_id, /^[0-9a-f-]{36}$/);
});

scenario('free text is answered by the bot, with suggestions when nothing matches', async ({ srv, page }) => {
  await H.addFaq(srv.base, FAQ);
  await openWidget(page, srv.base + '/');
  const botsBefore = await logOf(page).locator('.bot').count();
  await sendText(page, 'Do you sell gift cards shaped like a dinosaur?');
  await logOf(page).locator('.bot').nth(botsBefore).waitFor();
  const c = await customerOf(page);
  const { messages } = await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}`, c.token);
  const reply = messages[messages.length - 1];
  assert.equal(reply.sender_type, 'bot');
  await logOf(page).locator('.bot .bub').last().filter({ hasText: reply.content.trim().slice(0, 40) }).waitFor();
  if (reply.metadata?.matched === false && reply.metadata.suggestions?.length) {
    const s = reply.metadata.suggestions[0];
    const btn = logOf(page).locator('.sugg').last().getByRole('button', { name: s.question, exact: true });
    await btn.click();
    await logOf(page).locator('.me .bub', { hasText: s.question }).waitFor();
  }
  await sendText(page, 'How long does delivery take?');
  await logOf(page).locator('.bot .bub', { hasText: FAQ[0].answer }).waitFor();
});

scenario('handoff hides the button for good and shows the busy message once', async ({ srv, page }) => {
  await openWidget(page, srv.base + '/');
  await talkBtn(page).waitFor();
  // rapid double (triple) activation in one task: the widget must hand off once
  await page.evaluate(() => {
    const b = [...document.querySelector('parley-widget').shadowRoot.querySelectorAll('button')]
      .find((x) => x.textContent === 'Talk to agent');
    b.click(); b.click(); b.click();
  });
  await logOf(page).getByText(BUSY, { exact: true }).waitFor();
  await page.locator(`${W} .state`, { hasText: /queue/ }).waitFor();
  await sendText(page, 'Hello, anyone there?'); // one more round trip after the handoff
  assert.equal(await logOf(page).getByText(BUSY, { exact: true }).count(), 1);
  assert.equal(await talkBtn(page).count(), 0, 'Talk to agent hidden after handoff');
  await H.shot(page, '03-queued');

  const c = await customerOf(page);
  const r = await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}`, c.token);
  assert.equal(r.conversation.status, 'agent');
  assert.equal(r.messages.filter((m) => m.content === BUSY).length, 1, 'server has one busy message');
  assert.equal(r.conversation.queue_position, 1);
  assert.match(await page.locator(`${W} .state`).textContent(), /number 1 in the queue/);

  await page.reload();
  await openWidget(page);
  await logOf(page).getByText(BUSY, { exact: true }).waitFor();
  assert.equal(await logOf(page).getByText(BUSY, { exact: true }).count(), 1);
  await page.locator(`${W} .state`, { hasText: /queue/ }).waitFor();
  assert.equal(await talkBtn(page).count(), 0, 'still hidden after a reload');
});

scenario('an agent is assigned from the queue and its reply appears live', async ({ srv, page }) => {
  const frames = [];
  page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
  const c = await queuedConversation(page, srv);
  const alice = await H.createAgent(srv.base, { username: 'alice', displayName: 'Alice Moreau' });
  await page.locator(`${W} .state`, { hasText: 'You are chatting with Alice Moreau' }).waitFor();
  await page.locator(`${W} .sub`, { hasText: 'Alice Moreau' }).waitFor();
  const mine = await H.restOk(srv.base, 'GET', '/api/v1/agent/conversations', alice.token);
  assert.ok(mine.conversations.some((x) => x.id === c.conversationId), 'the agent got the queued chat');

  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token,
    { content: 'Hi, this is Alice. How can I help with your order?' });
  const reply = logOf(page).locator('.agent', { hasText: 'How can I help with your order?' });
  await reply.waitFor();
  assert.equal(await reply.locator('.who').textContent(), 'Alice Moreau');
  assert.ok(frames.some((f) => f.includes('"message.created"') && f.includes('How can I help with your order?')),
    'the reply came over the WebSocket');
  await sendText(page, 'My parcel has not arrived yet.');
  await H.shot(page, '04-agent-assigned');

  // with the panel closed a new reply raises the unread badge
  await page.locator(`${W} .x`).click();
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token, { content: 'Could you give me the order number?' });
  await page.locator(`${W} .badge`, { hasText: '1' }).waitFor();
  await H.shot(page, '05-unread-badge');
  await launcher(page).click();
  await page.locator(`${W} .badge`).waitFor({ state: 'hidden' });
});

scenario('a reload restores the conversation and its whole history', async ({ srv, page }) => {
  await H.addFaq(srv.base, FAQ);
  await openWidget(page, srv.base + '/');
  await page.locator(`${W} .quick`).getByRole('button', { name: FAQ[1].question }).click();
  await logOf(page).locator('.bot .bub', { hasText: FAQ[1].answer }).waitFor();
  await sendText(page, 'Thanks! And one more thing.');
  const before = await logOf(page).locator('.m .bub, .m.sys').allTextContents();
  const c1 = await customerOf(page);

  await page.reload();
  await openWidget(page);
  await logOf(page).locator('.bub', { hasText: 'Thanks! And one more thing.' }).waitFor();
  const afterTexts = await logOf(page).locator('.m .bub, .m.sys').allTextContents();
  assert.deepEqual(afterTexts, before, 'same messages in the same order');
  assert.deepEqual(await customerOf(page), c1, 'same session and conversation');
});

scenario('with the WebSocket blocked, polling still delivers the agent reply', async ({ srv, page }) => {
  const [closedPort] = await H.freePorts(1);
  await routeStorefront(page, srv, (html) => html.replace('<script src="/widget.js" async>',
    `<script src="/widget.js" data-parley-ws="ws://127.0.0.1:${closedPort}/ws" async>`));
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const c = await queuedConversation(page, srv);
  const alice = await H.createAgent(srv.base, { username: 'alice', displayName: 'Alice Moreau' });
  await page.locator(`${W} .state`, { hasText: 'You are chatting with Alice Moreau' }).waitFor();
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token, { content: 'Polling works: hello from Alice.' });
  await logOf(page).locator('.agent', { hasText: 'Polling works: hello from Alice.' }).waitFor({ timeout: 15000 });
  assert.ok(sockets.every((u) => u.includes(String(closedPort))), 'only the blocked WebSocket was tried');
  await sendText(page, 'Great, I can see you.');
});

scenario('after a server restart the widget reconnects, resumes and stays live', async ({ srv, page }) => {
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws));
  const c = await queuedConversation(page, srv);
  const alice = await H.createAgent(srv.base);
  await page.locator(`${W} .state`, { hasText: 'Alice Moreau' }).waitFor();
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token, { content: 'Before the restart.' });
  await logOf(page).locator('.agent', { hasText: 'Before the restart.' }).waitFor();

  await srv.restart();
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token, { content: 'After the restart.' });
  await logOf(page).locator('.agent', { hasText: 'After the restart.' }).waitFor();
  await H.until('a new WebSocket', async () => sockets.length >= 2 && !sockets[sockets.length - 1].isClosed(), 30000);
  await sendText(page, 'Still here.'); // the customer token survived the restart
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token, { content: 'Over the new socket.' });
  await logOf(page).locator('.agent', { hasText: 'Over the new socket.' }).waitFor();
  for (const text of ['Before the restart.', 'After the restart.', 'Over the new socket.']) {
    assert.equal(await logOf(page).locator('.agent', { hasText: text }).count(), 1, 'no duplicate of ' + text);
  }
});

scenario('a closed conversation is read-only and a new one can be started', async ({ srv, page }) => {
  const c = await queuedConversation(page, srv);
  const alice = await H.createAgent(srv.base);
  await page.locator(`${W} .state`, { hasText: 'Alice Moreau' }).waitFor();
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token, { content: 'Glad I could help. Have a nice day!' });
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/close`, alice.token);
  const newBtn = page.locator(W).getByRole('button', { name: 'Start a new conversation' });
  await newBtn.waitFor();
  await page.locator(`${W} .ended`, { hasText: 'This conversation has ended' }).waitFor();
  assert.equal(await input(page).isVisible(), false, 'no composer when closed');
  assert.equal(await talkBtn(page).isVisible(), false);
  await H.shot(page, '06-closed');

  await page.reload(); // still closed and read-only after a reload, the panel still open
  await newBtn.waitFor();
  await logOf(page).locator('.bub', { hasText: 'Glad I could help' }).waitFor();

  await newBtn.click();
  await input(page).waitFor();
  await talkBtn(page).waitFor();
  const c2 = await customerOf(page);
  assert.notEqual(c2.conversationId, c.conversationId);
  assert.equal(await logOf(page).locator('.bub', { hasText: 'Glad I could help' }).count(), 0, 'old history cleared');
  await sendText(page, 'A new question about beans.');
});

scenario('HTML and script payloads show as text; links are safe', async ({ srv, page }) => {
  const payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>';
  const c = await queuedConversation(page, srv);
  await sendText(page, payload);
  const alice = await H.createAgent(srv.base);
  await page.locator(`${W} .state`, { hasText: 'Alice Moreau' }).waitFor();
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token,
    { content: `${payload} see https://example.com/help?a=1&b=2. or javascript:alert(1)` });
  const agentMsg = logOf(page).locator('.agent .bub').last();
  await agentMsg.waitFor();
  assert.equal(await logOf(page).locator('.me .bub', { hasText: '<img' }).textContent(), payload);
  assert.ok((await agentMsg.textContent()).startsWith(payload));
  assert.equal(await logOf(page).locator('img, script, b').count(), 0, 'no element made from message content');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  const link = agentMsg.locator('a');
  assert.equal(await link.count(), 1, 'only the http(s) URL is a link');
  assert.equal(await link.getAttribute('href'), 'https://example.com/help?a=1&b=2');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await link.getAttribute('target'), '_blank');
});

scenario('hostile host-page CSS does not restyle the widget', async ({ srv, page }) => {
  await H.addFaq(srv.base, FAQ);
  await routeStorefront(page, srv, (html) => html.replace('</head>',
    '<style>* { all: unset; color: red !important; font-size: 40px !important; font-family: serif !important }' +
    ' div { display: none !important } button { background: lime !important; width: 10px !important }' +
    ' html { font-size: 40px !important }</style></head>'));
  await page.goto(srv.base + '/');
  const l = launcher(page);
  await l.waitFor();
  const box = await l.boundingBox();
  assert.ok(box && Math.round(box.width) === 58 && Math.round(box.height) === 58, 'launcher keeps its size: ' + JSON.stringify(box));
  await openWidget(page);
  await page.locator(`${W} .quick`).getByRole('button', { name: FAQ[0].question }).click();
  await logOf(page).locator('.bot .bub', { hasText: FAQ[0].answer }).waitFor();
  const st = await logOf(page).locator('.bot .bub').last().evaluate((e) => {
    const s = getComputedStyle(e);
    return { color: s.color, fontSize: s.fontSize, display: s.display };
  });
  assert.notEqual(st.color, 'rgb(255, 0, 0)');
  assert.equal(st.fontSize, '14px');
  assert.equal(st.display, 'block');
  const panel = await page.locator(`${W} .panel`).boundingBox();
  assert.ok(panel.width > 300 && panel.width < 400, 'panel keeps its size');
  await H.shot(page, '07-hostile-css');
});

scenario('fits a phone screen', { viewport: { width: 390, height: 844 }, context: { isMobile: true, hasTouch: true } }, async ({ srv, page }) => {
  await H.addFaq(srv.base, FAQ);
  await page.goto(srv.base + '/');
  await launcher(page).waitFor();
  await H.shot(page, '08-phone-launcher');
  await openWidget(page);
  await page.locator(`${W} .quick`).getByRole('button', { name: FAQ[0].question }).click();
  await logOf(page).locator('.bot .bub', { hasText: FAQ[0].answer }).waitFor();
  const box = await page.locator(`${W} .panel`).boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height].map(Math.round), [0, 0, 390, 844], 'full-screen panel');
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'no horizontal overflow');
  await H.shot(page, '09-phone-panel');
  await page.locator(`${W}`).getByRole('button', { name: 'Close chat' }).click();
  await launcher(page).waitFor();
});

scenario('keyboard only: open, send, Escape closes and focus returns', async ({ srv, page }) => {
  await page.goto(srv.base + '/');
  await launcher(page).waitFor();
  // Tab from the end of the page lands on the launcher (the widget is last in the tab order)
  await launcher(page).focus();
  await page.keyboard.press('Enter');
  await input(page).waitFor();
  await logOf(page).locator('.m').first().waitFor();
  const focused = () => page.evaluate(() => {
    const a = document.querySelector('parley-widget').shadowRoot.activeElement;
    return a ? a.tagName.toLowerCase() + '.' + a.className : null;
  });
  assert.equal(await focused(), 'textarea.');
  await page.keyboard.type('Typed with the keyboard only');
  await page.keyboard.press('Enter');
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'Typed with the keyboard only' }).waitFor();
  assert.equal(await logOf(page).getAttribute('aria-live'), 'polite');
  await page.keyboard.press('Escape');
  await page.locator(`${W} .panel`).waitFor({ state: 'hidden' });
  assert.equal(await focused(), 'button.launcher');
  assert.equal(await launcher(page).getAttribute('aria-expanded'), 'false');
});

scenario('a failed send shows Retry, and the retry never duplicates', async ({ srv, page }) => {
  // No WebSocket here, and polling can be made to fail: the POST's answer is the only way the
  // widget learns about its message.
  const [closedPort] = await H.freePorts(1);
  await routeStorefront(page, srv, (html) => html.replace('<script src="/widget.js" async>',
    `<script src="/widget.js" data-parley-ws="ws://127.0.0.1:${closedPort}/ws" async>`));
  await openWidget(page, srv.base + '/');
  let pollsDown = true;
  await page.route(/\/api\/v1\/conversations\/[^/]+(\/messages\?.*)?$/, (route) =>
    (pollsDown && route.request().method() === 'GET' ? route.fulfill({ status: 503, body: '' }) : route.continue()));
  let posts = 0;
  await page.route('**/api/v1/conversations/*/messages', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    posts++;
    if (posts === 1) return route.abort('connectionreset'); // never reached the server
    if (posts === 2) { await route.fetch(); return route.abort('connectionreset'); } // reached it, answer lost
    return route.continue();
  });
  const failedRetry = () => logOf(page).locator('.me[data-state=failed]').getByRole('button', { name: 'Retry' });

  // 1: lost on the way out: "Not sent", with Retry (it also goes again by itself, with backoff)
  await input(page).fill('Is the kettle induction-ready?');
  await input(page).press('Enter');
  await failedRetry().waitFor();
  await page.locator(`${W} .banner`, { hasText: 'not sent' }).waitFor();
  await H.shot(page, '11-send-failed');
  // 2: the next try reaches the server but its answer is lost: still "Not sent" for the widget;
  // 3: the try after it reuses the client_msg_id: the server answers with the same message
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'Is the kettle induction-ready?' }).waitFor();
  pollsDown = false;
  await sendText(page, 'And does it keep the water warm?'); // polls and answers flow again
  assert.equal(posts, 4);
  assert.equal(await logOf(page).locator('.me', { hasText: 'Is the kettle induction-ready?' }).count(), 1);
  const c = await customerOf(page);
  const { messages } = await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}/messages?after_seq=0`, c.token);
  assert.equal(messages.filter((m) => m.content === 'Is the kettle induction-ready?').length, 1, 'one message on the server');
});

scenario('429 shows a friendly wait and the widget stays usable',
  { serverArgs: ['--customer-rate-burst', '2', '--customer-rate-per-minute', '30'] }, async ({ page, srv }) => {
    await openWidget(page, srv.base + '/');
    await sendText(page, 'one');
    await sendText(page, 'two');
    await input(page).fill('three');
    await input(page).press('Enter');
    await page.locator(`${W} .banner`, { hasText: /sending messages quickly\. Please wait \d+ second/ }).waitFor();
    await H.shot(page, '10-rate-limited');
    assert.equal(await input(page).isEditable(), true, 'composer still usable');
    // after Retry-After the held message goes out by itself, once
    await logOf(page).locator('.me[data-state=sent]', { hasText: 'three' }).waitFor({ timeout: 30000 });
    await page.locator(`${W} .banner`).waitFor({ state: 'hidden' });
    assert.equal(await logOf(page).locator('.me', { hasText: 'three' }).count(), 1);
  });

scenario('503 overloaded: the message stays Sending and goes again with the same client_msg_id', async ({ srv, page }) => {
  await openWidget(page, srv.base + '/');
  const bodies = [];
  let refused = 0;
  await page.route('**/api/v1/conversations/*/messages', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    bodies.push(route.request().postDataJSON());
    if (refused < 2) { // what the server answers when its queue is full: nothing was done
      refused++;
      return route.fulfill({ status: 503, headers: { 'Retry-After': '1', 'Content-Type': 'application/json', 'Access-Control-Expose-Headers': 'Retry-After' },
        body: JSON.stringify({ error: { code: 'overloaded', message: 'The server is busy. Please try again shortly.' } }) });
    }
    return route.continue();
  });
  await input(page).fill('Do you ship to Norway?');
  await input(page).press('Enter');
  const mine = logOf(page).locator('.me', { hasText: 'Do you ship to Norway?' });
  await logOf(page).locator('.me[data-state=sending]', { hasText: 'Do you ship to Norway?' }).waitFor();
  await H.shot(page, '12-overloaded-sending');
  await H.until('both refusals', async () => refused === 2, 10000, 20);
  assert.equal(await mine.getAttribute('data-state'), 'sending', 'still on its way, not failed');
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'Do you ship to Norway?' }).waitFor({ timeout: 15000 });
  assert.equal(bodies.length, 3);
  assert.ok(bodies.every((b) => b.client_msg_id && b.client_msg_id === bodies[0].client_msg_id), 'the same client_msg_id each time');
  assert.equal(await page.locator(`${W} .banner`).isVisible(), false, 'no error shown');
  const c = await customerOf(page);
  const { messages } = await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}/messages?after_seq=0`, c.token);
  assert.equal(messages.filter((m) => m.content === 'Do you ship to Norway?').length, 1, 'one message on the server');
});

// Contract v1.1 "Agents at work": the page context, typing both ways, read marks and "Seen".
scenario('the agent sees the page, typing goes both ways, and Seen follows the agent reading', async ({ srv, ctx, page }) => {
  const c = await queuedConversation(page, srv);
  const title = await page.title();
  let r = await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}`, c.token);
  assert.equal(r.conversation.context.page_url, srv.base + '/');
  assert.equal(r.conversation.context.page_title, title);
  assert.ok(r.conversation.context.user_agent, 'the user agent is sent');

  const alice = await H.createAgent(srv.base, { username: 'alice', displayName: 'Alice Moreau' });
  await page.locator(`${W} .state`, { hasText: 'You are chatting with Alice Moreau' }).waitFor();

  // The agent's side: a WebSocket from a second page of the same browser.
  const agentPage = await ctx.newPage();
  await agentPage.goto(srv.base + '/healthz');
  const wsUrl = (await H.restOk(srv.base, 'GET', '/api/v1/widget/config')).ws_url;
  await agentPage.evaluate(([url, token]) => new Promise((resolve) => {
    window.frames_ = [];
    const ws = new WebSocket(url);
    window.ws_ = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', token }));
    ws.onmessage = (e) => { const f = JSON.parse(e.data); window.frames_.push(f); if (f.type === 'hello.ok') resolve(); };
  }), [wsUrl, alice.token]);
  const agentFrames = () => agentPage.evaluate(() => window.frames_);

  // The shopper types: the agent hears it (at most once a second, so a burst of keys is one signal).
  await input(page).pressSequentially('Where is', { delay: 20 });
  await H.until('the agent to get typing', async () =>
    (await agentFrames()).some((f) => f.type === 'typing' && f.data.conversation_id === c.conversationId && f.data.sender_type === 'customer'));
  assert.equal((await agentFrames()).filter((f) => f.type === 'typing').length, 1);
  await input(page).fill('');

  // The agent types: the shopper sees "Agent is typing…", which a message from the agent hides.
  await agentPage.evaluate((id) => window.ws_.send(JSON.stringify({ type: 'typing', conversation_id: id })), c.conversationId);
  await page.locator(`${W} .typing`).waitFor({ state: 'visible' });
  assert.equal(await page.locator(`${W} .typing`).textContent(), 'Agent is typing\u2026');
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, alice.token, { content: 'Let me check that.' });
  await logOf(page).locator('.agent', { hasText: 'Let me check that.' }).waitFor();
  await page.locator(`${W} .typing`).waitFor({ state: 'hidden' });

  // The open widget tells the server the shopper has read the agent's message.
  const agentMsg = (await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}`, c.token)).messages.at(-1);
  await H.until('the shopper read mark', async () =>
    (await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}`, alice.token)).conversation.customer_last_read_seq >= agentMsg.seq);

  // "Seen" appears under the shopper's message once the agent has read it.
  await sendText(page, 'My order number is 1042.');
  assert.equal(await logOf(page).getByText('Seen', { exact: true }).count(), 0);
  r = await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}`, alice.token);
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/read`, alice.token, { seq: r.messages.at(-1).seq });
  await logOf(page).locator('.me', { hasText: 'My order number is 1042.' }).getByText('Seen', { exact: true }).waitFor();
  await H.shot(page, '09-typing-and-seen');

  // A single-page shop navigates: the agent's view of the page follows.
  await page.evaluate(() => { history.pushState({}, '', '/checkout?step=2'); document.title = 'Checkout'; });
  await H.until('the new page context', async () => {
    const x = await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}`, alice.token);
    return x.conversation.context.page_url === srv.base + '/checkout?step=2' && x.conversation.context.page_title === 'Checkout';
  });
  await agentPage.close();
});

// ---- the widget's audit (issue: lost sessions, lost messages, recovery, small windows) ---------
const state = (page) => page.locator(`${W} .state`);
const banner = (page) => page.locator(`${W} .banner`);
const phaseOf = (page) => page.evaluate(() => document.querySelector('parley-widget')?.shadowRoot.querySelector('.root').dataset.phase);
const OVERLOADED = { status: 503, headers: { 'Retry-After': '1', 'Content-Type': 'application/json', 'Access-Control-Expose-Headers': 'Retry-After' },
  body: JSON.stringify({ error: { code: 'overloaded', message: 'The server is busy. Please try again shortly.' } }) };
const serverMessages = async (srv, c) =>
  (await H.restOk(srv.base, 'GET', `/api/v1/conversations/${c.conversationId}/messages?after_seq=0`, c.token)).messages;

scenario('two tabs opened before the first chat share one session and one conversation', async ({ srv, ctx, page }) => {
  const a = page, b = await ctx.newPage();
  const bErrors = [];
  b.on('pageerror', (e) => bErrors.push(String(e)));
  await a.goto(srv.base + '/');
  await b.goto(srv.base + '/#tea');
  await launcher(b).waitFor();
  await openWidget(a);
  await sendText(a, 'From tab A: where is order 1042?');
  const ca = await customerOf(a);
  // Tab B, never opened, follows the session tab A saved (no reload): its badge would work too.
  await H.until('tab B to use the chat of tab A', async () => (await phaseOf(b)) === 'automated');
  await openWidget(b);
  await logOf(b).locator('.me .bub', { hasText: 'From tab A' }).waitFor();
  await sendText(b, 'From tab B: and order 1043?');
  await logOf(a).locator('.me .bub', { hasText: 'From tab B' }).waitFor(); // the same conversation, live in A
  await a.reload();
  await openWidget(a);
  await logOf(a).locator('.me .bub', { hasText: 'From tab B' }).waitFor();
  assert.equal(await logOf(a).locator('.me .bub', { hasText: 'From tab A' }).count(), 1, 'A keeps its conversation');
  assert.deepEqual(await customerOf(a), ca);
  const mine = (await serverMessages(srv, ca)).filter((m) => m.sender_type === 'customer').map((m) => m.content);
  assert.deepEqual(mine, ['From tab A: where is order 1042?', 'From tab B: and order 1043?']);
  const admin = await H.adminToken(srv.base);
  const { conversation } = await H.restOk(srv.base, 'GET', `/api/v1/conversations/${ca.conversationId}`, ca.token);
  const all = await H.restOk(srv.base, 'GET', `/api/v1/conversations?customer_session_id=${conversation.customer_session_id}`, admin);
  assert.equal(all.conversations.length, 1, 'the shop sees one chat');

  // The chat ends; a new one started in tab A is the one tab B shows (not a third).
  await talkBtn(a).click();
  const alice = await H.createAgent(srv.base);
  await a.locator(`${W} .state`, { hasText: 'Alice Moreau' }).waitFor();
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${ca.conversationId}/close`, alice.token);
  const newBtn = (p) => p.locator(W).getByRole('button', { name: 'Start a new conversation' });
  await newBtn(b).waitFor();
  await newBtn(a).click();
  await talkBtn(a).waitFor();
  const c2 = await customerOf(a);
  assert.notEqual(c2.conversationId, ca.conversationId);
  await talkBtn(b).waitFor();
  assert.equal(await logOf(b).locator('.bub', { hasText: 'From tab A' }).count(), 0, 'B left the ended chat');
  await sendText(b, 'From tab B, in the new chat.');
  assert.ok((await serverMessages(srv, c2)).some((m) => m.content === 'From tab B, in the new chat.'));
  assert.deepEqual(bErrors, []);
});

scenario('messages not yet delivered and the draft survive a page load, and go out once', async ({ srv, page }) => {
  await openWidget(page, srv.base + '/');
  await sendText(page, 'Delivered before the reload.');
  const bodies = [];
  await page.route('**/api/v1/conversations/*/messages', (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const b = route.request().postDataJSON();
    bodies.push(b);
    if (bodies.length === 1) return route.abort('connectionreset'); // "Not sent"
    return route.fulfill({ ...OVERLOADED, headers: { ...OVERLOADED.headers, 'Retry-After': '30' } }); // waits 30 s
  });
  await input(page).fill('Lost on the way: is the Sencha in stock?');
  await input(page).press('Enter');
  // lost, then again by itself into an overload; the next message waits behind it (in order)
  await H.until('the refused second try', async () => bodies.length === 2);
  await input(page).fill('Waiting out an overload: do you ship to Chile?');
  await input(page).press('Enter');
  await logOf(page).locator('.me[data-state=sending]', { hasText: 'Waiting out' }).waitFor();
  await input(page).fill('A draft, not sent yet');
  assert.ok(bodies.every((b) => b.content.startsWith('Lost')), 'nothing overtakes the first message');
  const cid = (start) => bodies.find((b) => b.content.startsWith(start)).client_msg_id;
  const outCid = await page.evaluate(() => JSON.parse(Object.entries(localStorage).find(([k]) => k.endsWith(':out'))[1]).m[1].cid);
  await page.unroute('**/api/v1/conversations/*/messages');

  await page.goto(srv.base + '/?p=2'); // another page of the shop: the panel stays open
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'Lost on the way' }).waitFor();
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'Waiting out' }).waitFor();
  assert.equal(await input(page).inputValue(), 'A draft, not sent yet');
  const c = await customerOf(page);
  const mine = (await serverMessages(srv, c)).filter((m) => m.sender_type === 'customer');
  assert.deepEqual(mine.map((m) => m.content), ['Delivered before the reload.', 'Lost on the way: is the Sencha in stock?',
    'Waiting out an overload: do you ship to Chile?'], 'each once, in order');
  assert.equal(mine[1].client_msg_id, cid('Lost'));
  assert.equal(mine[2].client_msg_id, outCid);

  await page.reload(); // delivered now: nothing goes again
  await logOf(page).locator('.me .bub', { hasText: 'Waiting out' }).waitFor();
  assert.equal(await logOf(page).locator('.me').count(), 3);
  assert.equal(await input(page).inputValue(), 'A draft, not sent yet');
  assert.equal((await serverMessages(srv, c)).filter((m) => m.sender_type === 'customer').length, 3);
});

scenario('a failed message goes by itself once the connection is back, and the banner goes', async ({ srv, ctx, page }) => {
  await openWidget(page, srv.base + '/');
  const c = await customerOf(page);
  // offline, then online again
  await ctx.setOffline(true);
  await input(page).fill('Typed while offline.');
  await input(page).press('Enter');
  await logOf(page).locator('.me[data-state=failed]', { hasText: 'Typed while offline.' }).waitFor();
  await banner(page).filter({ hasText: "Can't reach support" }).waitFor();
  await ctx.setOffline(false);
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'Typed while offline.' }).waitFor();
  await banner(page).waitFor({ state: 'hidden' });
  // the server goes away and comes back (the WebSocket reconnects; polling while it does not)
  await srv.down();
  await input(page).fill('Typed while the server was down.');
  await input(page).press('Enter');
  await logOf(page).locator('.me[data-state=failed]', { hasText: 'Typed while the server was down.' }).waitFor();
  await banner(page).filter({ hasText: "Can't reach support" }).waitFor();
  await srv.up();
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'Typed while the server was down.' }).waitFor({ timeout: 30000 });
  await banner(page).waitFor({ state: 'hidden' });
  const mine = (await serverMessages(srv, c)).filter((m) => m.sender_type === 'customer').map((m) => m.content);
  assert.deepEqual(mine, ['Typed while offline.', 'Typed while the server was down.']);
});

scenario('opened while the server is down, the widget starts by itself once it is back', async ({ srv, page }) => {
  // The shop's page and widget.js come from elsewhere (the shop's host, a CDN copy): only the API is away.
  for (const [url, type, file] of [['/', 'text/html', 'index.html'], ['/widget.js', 'text/javascript', 'widget.js']]) {
    const body = fs.readFileSync(path.join(H.WEB_ROOT, file));
    await page.route(srv.base + url, (route) => route.fulfill({ status: 200, contentType: type, body }));
  }
  await page.route(/\/assets\//, (route) => route.fulfill({ status: 200, contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg"/>' }));
  let tries = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/customer/session')) tries++; });
  await srv.down();
  await page.goto(srv.base + '/');
  await launcher(page).click();
  await state(page).filter({ hasText: "Can't reach support" }).waitFor();
  const tryAgain = state(page).getByRole('button', { name: 'Try again' });
  await tryAgain.waitFor();
  await H.until('a try by itself', async () => tries >= 2, 10000);
  await tryAgain.click(); // and one by hand: the error stays while the server is away
  await H.until('the try by hand', async () => tries >= 3, 5000);
  assert.equal(await tryAgain.isVisible(), true);
  await H.shot(page, '13-start-server-down');
  await srv.up();
  await input(page).waitFor({ state: 'visible', timeout: 30000 });
  await logOf(page).locator('.bot').first().waitFor();
  await state(page).waitFor({ state: 'hidden' });
  await sendText(page, 'Hello after the outage.');
});

scenario('a start-up error stays, with Try again, when the questions arrive after it', async ({ srv, page }) => {
  await H.addFaq(srv.base, FAQ);
  let failing = true, releaseFaq;
  const faqHeld = new Promise((r) => { releaseFaq = r; });
  await page.route('**/api/v1/conversations', (route) => (failing && route.request().method() === 'POST'
    ? route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal_error","message":"x"}}' })
    : route.continue()));
  await page.route('**/api/v1/faq', async (route) => { await faqHeld; await route.continue(); });
  await page.goto(srv.base + '/');
  await launcher(page).click();
  const err = state(page).filter({ hasText: 'Something went wrong on our side' });
  await err.waitFor();
  releaseFaq(); // the FAQ list arrives after the error and redraws the panel
  await page.locator(`${W} .quick:not([data-n="0"])`).waitFor({ state: 'attached' });
  assert.equal(await err.isVisible(), true, 'the error is still there');
  assert.equal(await state(page).getByRole('button', { name: 'Try again' }).isVisible(), true);
  await H.shot(page, '14-start-error-kept');
  failing = false;
  await input(page).waitFor({ state: 'visible', timeout: 15000 }); // the next try (by itself) works
  await page.locator(`${W} .quick`).getByRole('button', { name: FAQ[0].question }).waitFor();
  await state(page).waitFor({ state: 'hidden' });
});

scenario('a long overload: the message waits calmly, with its typed text, and goes once it ends', async ({ srv, page }) => {
  await openWidget(page, srv.base + '/');
  await page.evaluate(() => { // a "Not sent" at any moment would count
    const log = document.querySelector('parley-widget').shadowRoot.querySelector('.log');
    new MutationObserver(() => { if (log.querySelector('.me[data-state=failed]')) window.__failedOnce = true; })
      .observe(log, { subtree: true, childList: true, attributes: true });
  });
  const bodies = [];
  let refused = 0;
  await page.route('**/api/v1/conversations/*/messages', (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    bodies.push(route.request().postDataJSON());
    if (refused < 6) { refused++; return route.fulfill(OVERLOADED); } // longer than the five tries it used to make
    return route.continue();
  });
  await input(page).fill('Is the Kenya AA back in stock?');
  await input(page).press('Enter');
  await banner(page).filter({ hasText: 'Support is very busy right now. Still trying\u2026' }).waitFor();
  await logOf(page).locator('.me[data-state=sending]', { hasText: 'Kenya AA' }).waitFor();
  await H.shot(page, '15-overloaded-busy-notice');
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'Kenya AA' }).waitFor({ timeout: 30000 });
  await banner(page).waitFor({ state: 'hidden' });
  assert.equal(refused, 6);
  assert.equal(bodies.length, 7);
  assert.ok(bodies.every((b) => b.client_msg_id === bodies[0].client_msg_id), 'the same client_msg_id each time');
  assert.equal(await page.evaluate(() => window.__failedOnce), undefined, 'never "Not sent"');
  const c = await customerOf(page);
  assert.equal((await serverMessages(srv, c)).filter((m) => m.content === 'Is the Kenya AA back in stock?').length, 1);
});

scenario('a suggested question shows once on a phone', { viewport: { width: 375, height: 667 }, context: { isMobile: true, hasTouch: true } },
  async ({ srv, page }) => {
    await openWidget(page, srv.base + '/');
    await sendText(page, 'hello there, a phone test');
    const c = await customerOf(page);
    const reply = (await serverMessages(srv, c)).at(-1);
    assert.equal(reply.metadata.matched, false);
    assert.ok(reply.metadata.suggestions.length >= 3, 'the fallback suggests questions');
    await logOf(page).locator('.sugg').last().waitFor();
    for (const s of reply.metadata.suggestions) {
      assert.equal(await page.locator(W).getByRole('button', { name: s.question, exact: true }).filter({ visible: true }).count(), 1, s.question);
    }
    const log = await logOf(page).boundingBox();
    assert.ok(log.height >= 250, `the log is ${log.height}px tall`);
    await H.shot(page, '16-phone-375-suggestions');
    // Once the shopper writes on, the questions are back in their row.
    await sendText(page, 'How long does shipping take?');
    await page.locator(`${W} .quick .chip:not(.more)`).filter({ visible: true }).first().waitFor();
  });

scenario('a small window keeps room for the conversation and every control in reach', { viewport: { width: 800, height: 450 } },
  async ({ srv, page }) => {
    await H.addFaq(srv.base, FAQ);
    await openWidget(page, srv.base + '/');
    await page.locator(`${W} .away input[type=email]`).waitFor(); // nobody online: the notice and its form
    for (const [w, h] of [[800, 450], [640, 400]]) { // 640x400: 1280x800 at 200% zoom
      await page.setViewportSize({ width: w, height: h });
      const panel = await page.locator(`${W} .panel`).boundingBox();
      assert.ok(panel.y >= 0 && panel.y + panel.height <= h, `${w}x${h}: the panel is on screen: ${JSON.stringify(panel)}`);
      const log = await logOf(page).boundingBox();
      assert.ok(log.height >= 140, `${w}x${h}: the log is ${log.height}px tall`);
      await H.shot(page, `17-small-window-${w}x${h}`);
      const reach = [page.locator(`${W} header`), input(page), page.locator(`${W} .away input[type=email]`), talkBtn(page),
        page.locator(`${W} .quick .chip`).filter({ visible: true }).first()];
      for (const el of reach) {
        await el.scrollIntoViewIfNeeded();
        const box = await el.boundingBox();
        assert.ok(box && box.height > 0 && box.y >= panel.y && box.y + box.height <= panel.y + panel.height,
          `${w}x${h}: ${await el.evaluate((e) => e.className || e.tagName)} in the panel: ${JSON.stringify(box)}`);
      }
      await H.shot(page, `17-small-window-${w}x${h}-scrolled`);
      await page.locator(`${W} .body`).evaluate((e) => { e.scrollTop = 0; });
    }
  });

scenario('long words wrap, right-to-left text reads right to left, links keep their brackets, stars contrast, Send keeps focus',
  async ({ srv, page }) => {
    const LONG = 'Supercalifragilisticexpialidocious'.repeat(4);
    await H.restOk(srv.base, 'PUT', '/api/v1/admin/settings', await H.adminToken(srv.base), { bot: {
      greeting: `See https://en.wikipedia.org/wiki/Tea_(disambiguation) or our guide (https://example.com/guide). ${LONG}` } });
    await H.addFaq(srv.base, [{ slug: 'tracking-page', display_order: -1, question: `Why does https://fernhill.example/account/orders/${LONG} not load?`,
      answer: 'Please sign in first.' }]);
    await openWidget(page, srv.base + '/');
    const links = await logOf(page).locator('.bot a').evaluateAll((as) => as.map((a) => a.href));
    assert.deepEqual(links, ['https://en.wikipedia.org/wiki/Tea_(disambiguation)', 'https://example.com/guide']);

    // Long words (a question, an agent's name): nothing sticks out and the log never scrolls sideways.
    const overflow = () => page.evaluate(() => {
      const s = document.querySelector('parley-widget').shadowRoot;
      const p = s.querySelector('.panel').getBoundingClientRect();
      const out = [...s.querySelectorAll('.state, .who, .sys, .chip, .bub')].filter((e) => e.getClientRects().length)
        .filter((e) => { const r = e.getBoundingClientRect(); return r.right > p.right + 0.5 || r.left < p.left - 0.5; }).map((e) => e.className);
      const log = s.querySelector('.log');
      if (log.scrollWidth > log.clientWidth) out.push('log scrolls sideways');
      return out;
    });
    await page.locator(`${W} .quick .chip`, { hasText: 'fernhill.example' }).waitFor();
    assert.deepEqual(await overflow(), []);

    // Right to left: the bubble and the message box find their direction from the text.
    const HEB = 'שלום! איפה ההזמנה שלי?';
    await input(page).fill(HEB);
    assert.equal(await input(page).evaluate((e) => getComputedStyle(e).direction), 'rtl');
    await page.locator(`${W} .send`).click(); // with the mouse: the focus goes back to the message box
    await logOf(page).locator('.me[data-state=sent]', { hasText: HEB }).waitFor();
    assert.equal(await logOf(page).locator('.me .bub', { hasText: HEB }).evaluate((e) => getComputedStyle(e).direction), 'rtl');
    assert.equal(await page.evaluate(() => document.querySelector('parley-widget').shadowRoot.activeElement?.tagName), 'TEXTAREA');

    await talkBtn(page).click();
    const c = await customerOf(page);
    const agent = await H.createAgent(srv.base, { username: 'kc', displayName: 'KonstantinopoulouPapadimitriou'.repeat(3) });
    await state(page).filter({ hasText: 'chatting' }).waitFor();
    await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/messages`, agent.token, { content: 'Hello! How can I help?' });
    await logOf(page).locator('.agent .who').waitFor();
    await H.shot(page, '18-long-words-rtl');
    assert.deepEqual(await overflow(), []);

    // Unselected stars: at least 3:1 against the white panel (WCAG non-text contrast).
    const rgb = await page.locator(`${W} .star`).first().evaluate((e) => getComputedStyle(e).color);
    const lum = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    const [r, g, b] = rgb.match(/\d+/g).map(Number);
    const ratio = 1.05 / (0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b) + 0.05);
    assert.ok(ratio >= 3, `stars ${rgb}: ${ratio.toFixed(2)}:1`);
  });

// ---- the widget's second review: one ordered queue, starts that overtake, ended chats, drafts per tab
const outOf = async (page) => JSON.parse(await page.evaluate(() => Object.entries(localStorage).find(([k]) => k.endsWith(':out'))?.[1] || 'null'));
const mineOn = async (srv, c) => (await serverMessages(srv, c)).filter((m) => m.sender_type === 'customer').map((m) => m.content);

scenario('failed messages go again by themselves with the WebSocket up, in the order typed', async ({ srv, page }) => {
  await openWidget(page, srv.base + '/');
  await page.locator(`${W} .root[data-phase=automated]`).waitFor({ state: 'attached' });
  const c = await customerOf(page);
  const fail = new Set(['alpha', 'second']); // the first try of each is lost on the way
  const seen = [];
  let release;
  const gate = new Promise((r) => { release = r; }); // holds the second try of "second"
  await page.route('**/api/v1/conversations/*/messages', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const { content } = route.request().postDataJSON();
    seen.push(content);
    if (fail.delete(content)) return route.abort('failed');
    if (content === 'second') await gate;
    return route.continue();
  });
  // the WebSocket never drops: nothing but the widget's own backoff sends it again
  await input(page).fill('alpha');
  await input(page).press('Enter');
  await logOf(page).locator('.me[data-state=failed]', { hasText: 'alpha' }).waitFor();
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'alpha' }).waitFor({ timeout: 15000 });
  // a message typed while an earlier one is "Not sent" waits behind it
  await input(page).fill('second');
  await input(page).press('Enter');
  await logOf(page).locator('.me[data-state=failed]', { hasText: 'second' }).waitFor();
  await input(page).fill('third');
  await input(page).press('Enter');
  await logOf(page).locator('.me[data-state=sending]', { hasText: 'third' }).waitFor();
  await H.until('the second try of "second"', async () => seen.length === 4, 15000);
  assert.equal(seen.includes('third'), false, '"third" waits behind "second"');
  release();
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'third' }).waitFor({ timeout: 15000 });
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'second' }).waitFor();
  assert.deepEqual(await mineOn(srv, c), ['alpha', 'second', 'third']);
  assert.deepEqual(seen, ['alpha', 'alpha', 'second', 'second', 'third']);
  assert.deepEqual((await outOf(page)).m, [], 'nothing left to send');
});

scenario('a start that finishes late never takes the tabs back to an ended conversation', async ({ srv, ctx, page }) => {
  const a = page;
  const c1 = await queuedConversation(a, srv);
  const alice = await H.createAgent(srv.base);
  await a.locator(`${W} .state`, { hasText: 'Alice Moreau' }).waitFor();
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c1.conversationId}/close`, alice.token);
  await a.locator(`${W} .root[data-phase=closed]`).waitFor({ state: 'attached' });
  // Tab B loads meanwhile; its look-up of the ended conversation is held until tab A has a new one.
  const b = await ctx.newPage();
  let release, held = false;
  const gate = new Promise((r) => { release = r; });
  await b.route(`**/api/v1/conversations/${c1.conversationId}`, async (route) => {
    if (!held) { held = true; await gate; }
    await route.continue();
  });
  const late = b.waitForEvent('requestfinished', { predicate: (r) => r.url().endsWith('/conversations/' + c1.conversationId), timeout: 30000 });
  await b.goto(srv.base + '/');
  await H.until('tab B to look up the old conversation', async () => held);
  await a.locator(W).getByRole('button', { name: 'Start a new conversation' }).click();
  await a.locator(`${W} .root[data-phase=automated]`).waitFor({ state: 'attached' });
  const c2 = await customerOf(a);
  assert.notEqual(c2.conversationId, c1.conversationId);
  await H.until('tab B to follow the new conversation', async () => (await phaseOf(b)) === 'automated');
  release();
  await late; // the held answer arrives: dropped, a newer start has begun since
  for (let i = 0; i < 10; i++) { // and stays so (the old code switched both tabs back within a moment)
    await b.evaluate(() => new Promise((r) => setTimeout(r, 100)));
    assert.deepEqual(await customerOf(b), c2);
    assert.equal(await phaseOf(b), 'automated');
    assert.equal(await phaseOf(a), 'automated');
  }
  await openWidget(b);
  await sendText(b, 'From tab B, in the new chat.');
  assert.deepEqual(await mineOn(srv, c2), ['From tab B, in the new chat.']);
});

scenario('text left unsent in a conversation that ended comes back in the message box', async ({ srv, page }) => {
  const c1 = await queuedConversation(page, srv);
  const alice = await H.createAgent(srv.base);
  await page.locator(`${W} .state`, { hasText: 'Alice Moreau' }).waitFor();
  await page.route('**/api/v1/conversations/*/messages', (route) =>
    (route.request().method() === 'POST' ? route.abort('failed') : route.continue()));
  await input(page).fill('My order number is 12345');
  await input(page).press('Enter');
  await logOf(page).locator('.me[data-state=failed]', { hasText: '12345' }).waitFor();
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c1.conversationId}/close`, alice.token);
  await page.locator(`${W} .root[data-phase=closed]`).waitFor({ state: 'attached' });
  await page.unroute('**/api/v1/conversations/*/messages');
  await page.reload(); // the ended conversation: the text is kept, not sent there
  const newBtn = page.locator(W).getByRole('button', { name: 'Start a new conversation' });
  await newBtn.waitFor();
  assert.deepEqual((await outOf(page)).m.map((x) => x.content), ['My order number is 12345']);
  await newBtn.click();
  await talkBtn(page).waitFor();
  await H.until('the text back in the box', async () => (await input(page).inputValue()) === 'My order number is 12345');
  const c2 = await customerOf(page);
  assert.deepEqual(await outOf(page), { c: c2.conversationId, m: [] }, 'moved, not kept twice');
  assert.deepEqual(await mineOn(srv, c2), [], 'not sent without the shopper');
  await page.reload(); // it stays this tab's draft
  await openWidget(page);
  assert.equal(await input(page).inputValue(), 'My order number is 12345');
});

scenario('each tab keeps its own draft', async ({ srv, ctx, page }) => {
  const a = page;
  await openWidget(a, srv.base + '/');
  const b = await ctx.newPage();
  await openWidget(b, srv.base + '/');
  assert.deepEqual(await customerOf(b), await customerOf(a));
  await input(a).fill('Draft in tab A');
  await input(b).fill('Sent from tab B');
  await input(b).press('Enter');
  await logOf(a).locator('.me .bub', { hasText: 'Sent from tab B' }).waitFor();
  await input(b).fill('Draft in tab B');
  await a.reload();
  await openWidget(a);
  assert.equal(await input(a).inputValue(), 'Draft in tab A', "B's send and draft leave A's alone");
  await input(b).fill('');
  await b.reload();
  await openWidget(b);
  assert.equal(await input(b).inputValue(), '', "A's draft is not pasted into B");
});

scenario('a message that keeps failing with a 5xx gives way to later ones and is kept with Retry', async ({ srv, page }) => {
  await openWidget(page, srv.base + '/');
  const c = await customerOf(page);
  let broken = true, doomed = 0;
  await page.route('**/api/v1/conversations/*/messages', (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    if (broken && route.request().postDataJSON().content === 'doomed') {
      doomed++;
      return route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal_error","message":"x"}}' });
    }
    return route.continue();
  });
  await input(page).fill('doomed');
  await input(page).press('Enter');
  await logOf(page).locator('.me[data-state=failed]', { hasText: 'doomed' }).waitFor();
  await input(page).fill('later');
  await input(page).press('Enter');
  // after its fourth 5xx it stops trying and no longer holds the queue
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'later' }).waitFor({ timeout: 30000 });
  assert.equal(doomed, 4);
  const failed = logOf(page).locator('.me[data-state=failed]', { hasText: 'doomed' });
  await failed.getByRole('button', { name: 'Retry' }).waitFor();
  assert.deepEqual((await outOf(page)).m.map((x) => [x.content, x.g]), [['doomed', 1]], 'kept across pages');
  await page.reload(); // still there, "Not sent" with Retry, not tried again by itself
  await openWidget(page);
  await failed.getByRole('button', { name: 'Retry' }).waitFor();
  await logOf(page).locator('.me .bub', { hasText: 'later' }).waitFor();
  assert.equal(doomed, 4);
  broken = false;
  await failed.getByRole('button', { name: 'Retry' }).click();
  await logOf(page).locator('.me[data-state=sent]', { hasText: 'doomed' }).waitFor();
  assert.deepEqual(await mineOn(srv, c), ['later', 'doomed']);
  assert.deepEqual((await outOf(page)).m, []);
});

// ---- tabs that start at the same moment -------------------------------------------------
// Every conversation the server holds, whoever's: the admin report's count of those created,
// over the days around now (a run at midnight UTC counts on two days).
async function conversationsOnServer(srv) {
  const day = (ms) => new Date(Date.now() + ms).toISOString().slice(0, 10);
  const admin = await H.adminToken(srv.base);
  const r = await H.restOk(srv.base, 'GET', `/api/v1/admin/reports?from=${day(-864e5)}&to=${day(864e5)}`, admin);
  return r.days.reduce((n, d) => n + d.conversations, 0);
}
// What the browser created: answers to POST customer/session and POST conversations, both tabs.
function watchCreates(ctx) {
  const made = { sessions: 0, conversations: 0 };
  ctx.on('response', (r) => {
    if (r.request().method() !== 'POST' || r.status() !== 201) return;
    if (r.url().endsWith('/api/v1/customer/session')) made.sessions++;
    if (r.url().endsWith('/api/v1/conversations')) made.conversations++; // 200: the open one, not made
  });
  return made;
}

scenario('two tabs that open the chat at the same moment make one session and one conversation', async ({ srv, ctx, page }) => {
  const a = page, b = await ctx.newPage();
  const bErrors = [];
  b.on('pageerror', (e) => bErrors.push(String(e)));
  const made = watchCreates(ctx);
  // The first session request is held until the other tab is inside its start too: it has asked
  // for a session of its own, or it waits for the lock of the tab making one (Web Locks). So both
  // tabs are surely in the window where each would find no session in localStorage.
  let asked = 0;
  const waiting = () => a.evaluate(async (key) => (await navigator.locks.query()).pending.some((l) => l.name === key),
    'parley:' + srv.base + '/api/v1/');
  await ctx.route('**/api/v1/customer/session', async (route) => {
    if (++asked === 1) await H.until('the other tab to start as well', async () => asked > 1 || await waiting()).catch(() => {});
    await route.continue();
  });
  await a.goto(srv.base + '/');
  await b.goto(srv.base + '/#tea');
  await Promise.all([launcher(a), launcher(b)].map((l) => l.waitFor()));
  await Promise.all([launcher(a).click(), launcher(b).click()]);
  await Promise.all([a, b].map((p) => logOf(p).locator('.m').first().waitFor()));
  await H.until('both tabs on one conversation', async () =>
    JSON.stringify(await customerOf(a)) === JSON.stringify(await customerOf(b)) &&
    (await phaseOf(a)) === 'automated' && (await phaseOf(b)) === 'automated');
  const c = await customerOf(a);
  assert.ok(c.token && c.conversationId);
  await sendText(b, 'From tab B, opened at the same moment.');
  await logOf(a).locator('.me .bub', { hasText: 'From tab B' }).waitFor(); // the one A shows
  assert.deepEqual(made, { sessions: 1, conversations: 1 }, 'one session and one conversation created');
  assert.equal(await conversationsOnServer(srv), 1, 'no orphan conversation on the server');
  assert.deepEqual(await customerOf(b), c);

  // "Start a new conversation" in both tabs at once: one new conversation. The first request is
  // held until the other tab's is sent too; both carry the one token, and the server keeps one
  // open conversation a session (the second is answered 200 with the first's).
  await talkBtn(a).click();
  const alice = await H.createAgent(srv.base);
  await a.locator(`${W} .state`, { hasText: 'Alice Moreau' }).waitFor();
  await H.restOk(srv.base, 'POST', `/api/v1/conversations/${c.conversationId}/close`, alice.token);
  const newBtn = (p) => p.locator(W).getByRole('button', { name: 'Start a new conversation' });
  await Promise.all([a, b].map((p) => newBtn(p).waitFor()));
  let posted = 0;
  await ctx.route('**/api/v1/conversations', async (route) => {
    if (route.request().method() === 'POST' && ++posted === 1) await H.until('the other tab to ask as well', async () => posted > 1).catch(() => {});
    await route.continue();
  });
  await Promise.all([newBtn(a).click(), newBtn(b).click()]);
  await H.until('both tabs on one new conversation', async () => {
    const [x, y] = [await customerOf(a), await customerOf(b)];
    return x.conversationId !== c.conversationId && JSON.stringify(x) === JSON.stringify(y) &&
      (await phaseOf(a)) === 'automated' && (await phaseOf(b)) === 'automated';
  });
  assert.equal(posted, 2, 'both tabs asked');
  const c2 = await customerOf(a);
  await sendText(a, 'From tab A, in the new chat.');
  await logOf(b).locator('.me .bub', { hasText: 'From tab A, in the new chat.' }).waitFor();
  assert.deepEqual(made, { sessions: 1, conversations: 2 });
  assert.equal(await conversationsOnServer(srv), 2);
  assert.deepEqual(await customerOf(b), c2);
  assert.deepEqual(bErrors, []);
});

scenario('a session request that hangs in one tab holds the other tab back for a while only', async ({ srv, ctx, page }) => {
  const a = page, b = await ctx.newPage();
  const made = watchCreates(ctx);
  let release, asked = 0;
  const gate = new Promise((r) => { release = r; });
  await ctx.route('**/api/v1/customer/session', async (route) => {
    if (++asked === 1) await gate; // tab A's: no answer until the end
    await route.continue();
  });
  await a.goto(srv.base + '/');
  await b.goto(srv.base + '/');
  await launcher(a).click();
  await H.until('tab A to ask for a session', async () => asked === 1);
  const t0 = Date.now();
  await launcher(b).click();
  // Tab B waits for the lock tab A holds (10 s at most), then starts the chat itself.
  await logOf(b).locator('.m').first().waitFor({ timeout: 30000 });
  assert.ok(Date.now() - t0 > 5000, 'tab B waited for the lock');
  assert.equal(asked, 2);
  const c = await customerOf(b);
  await openWidget(a); // A follows B's chat (the storage event), its own late session is dropped
  await H.until('tab A on the chat of tab B', async () => JSON.stringify(await customerOf(a)) === JSON.stringify(c));
  const late = a.waitForEvent('requestfinished', { predicate: (r) => r.url().endsWith('/customer/session') });
  release();
  await late;
  await sendText(a, 'From tab A after all.');
  await logOf(b).locator('.me .bub', { hasText: 'From tab A after all.' }).waitFor();
  assert.deepEqual(await customerOf(a), c);
  assert.deepEqual(made, { sessions: 2, conversations: 1 }, 'a spare session, but one conversation');
  assert.equal(await conversationsOnServer(srv), 1);
});
