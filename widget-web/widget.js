/*! Parley customer widget: one <script> tag, no dependencies. See widget-web/README.md. */
(() => {
  'use strict';
  if (window.__parley) return; // embedded twice: run once
  window.__parley = 1;

  // ---- configuration from our own <script> tag
  const me = document.currentScript ||
    [...document.querySelectorAll('script[src]')].find((s) => /\/widget\.js([?#]|$)/.test(s.src));
  const ds = (me && me.dataset) || {};
  const API = new URL(ds.parleyApi || '.', (me && me.src) || location.href).href.replace(/\/?$/, '/') + 'api/v1/';
  const TITLE = ds.parleyTitle || 'Support';
  const KEY = 'parley:' + API;

  // ---- tiny helpers
  const h = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    e.append(...kids.filter((k) => k != null)); // text, never HTML
    return e;
  };
  const load = (k = KEY) => { try { return JSON.parse(localStorage.getItem(k)) || {}; } catch { return {}; } };
  const store = load();
  const save = (k = KEY, v = store) => { try { localStorage.setItem(k, JSON.stringify(v)); } catch { /* private mode */ } };
  // Per tab, across its page loads: the panel open, the draft (each tab's box is its own)
  const tab = (k, v) => { try { k = KEY + k; return v === undefined ? sessionStorage.getItem(k) : v ? sessionStorage.setItem(k, v) : sessionStorage.removeItem(k); } catch { /* private mode */ } };
  const draft = () => tab(':draft', input.value);
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
    : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));
  const RANK = { automated: 0, agent: 1, closed: 2 };

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      Object.assign(this, { status, code, retryAfter });
    }
  }
  const FRIENDLY = {
    0: "Can't reach support right now. Please check your connection.",
    400: 'That message could not be sent. Please check it and try again.',
    401: 'Your chat session has expired. Please reload the page.',
    404: 'This conversation could not be found.',
    409: 'This conversation has ended.',
    413: 'That message is too large.',
    message_too_long: 'That message is too long (4,000 characters at most).',
    empty_message: 'Please type a message first.',
  };
  async function api(method, path, body, busy, tok = store.t) {
    const headers = {};
    if (body) headers['Content-Type'] = 'application/json';
    if (tok) headers.Authorization = 'Bearer ' + tok;
    let res, data = null;
    try {
      res = await fetch(API + path, { method, headers, body: body && JSON.stringify(body), cache: 'no-store' });
      data = await res.json().catch(() => null);
    } catch {
      throw new ApiError(0, 'network', FRIENDLY[0]);
    }
    if (res.ok) return data || {};
    const e = (data && data.error) || {};
    const wait = Math.max(1, Math.ceil(+res.headers.get('Retry-After') || 5));
    if (res.status === 503 && e.code === 'overloaded') { // nothing done: again after Retry-After (30 s at most)
      if (busy) showBanner('Support is very busy right now. Still trying\u2026');
      await new Promise((r) => setTimeout(r, Math.min(wait, 30) * 1000 * (1 + Math.random() / 2)));
      return api(method, path, body, busy, tok);
    }
    const msg = res.status === 429 ? `You're sending messages quickly. Please wait ${wait} seconds.`
      : FRIENDLY[e.code] || FRIENDLY[res.status] ||
        (res.status >= 500 ? 'Something went wrong on our side. Please try again in a moment.' : e.message || 'Request failed.');
    throw new ApiError(res.status, e.code || 'http_' + res.status, msg, wait);
  }

  const CSS = `
:host{all:initial!important;display:block!important;position:fixed!important;right:0!important;bottom:0!important;width:0!important;height:0!important;margin:0!important;padding:0!important;border:0!important;overflow:visible!important;visibility:visible!important;opacity:1!important;transform:none!important;filter:none!important;z-index:2147483000!important;pointer-events:auto!important}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.root{--pa:#4f46e5;--fg:#1f2330;--mu:#5b6170;--bd:#e2e4ea;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);text-align:left;letter-spacing:normal;-webkit-font-smoothing:antialiased}
button,textarea,input{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
:focus-visible{outline:2px solid var(--pa);outline-offset:2px}
.launcher{position:fixed;right:20px;bottom:20px;width:58px;height:58px;border:0;border-radius:50%;background:var(--pa);color:#fff;display:flex;align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(20,20,50,.28);transition:transform .15s}
.launcher:hover{transform:scale(1.06)}
.left .launcher{right:auto;left:20px}
.badge{position:absolute;top:-3px;right:-3px;min-width:21px;height:21px;padding:0 6px;border-radius:11px;background:#e11d48;color:#fff;font-size:12px;font-weight:700;line-height:21px;text-align:center;border:2px solid #fff}
.panel{position:fixed;right:20px;bottom:92px;width:370px;height:min(600px,calc(100vh - 112px));display:flex;flex-direction:column;background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 12px 40px rgba(20,20,50,.28);border:1px solid var(--bd)}
.left .panel{right:auto;left:20px}
header{display:flex;align-items:center;gap:8px;padding:14px 12px 14px 18px;background:var(--pa);color:#fff}
.ttl{flex:1;display:flex;flex-direction:column;min-width:0}
.ttl strong{font-size:16px}
.sub{font-size:12.5px;opacity:.9;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.x{width:44px;height:44px;border:0;border-radius:8px;background:transparent;color:#fff;font-size:24px;line-height:1}
.x:hover{background:rgba(255,255,255,.18)}
.x:focus-visible{outline-color:#fff}
.state{padding:8px 14px;background:#eef0ff;color:#2c2f7a;font-size:13px;border-bottom:1px solid var(--bd)}
.body{flex:1;min-height:0;overflow-y:auto;display:flex;flex-direction:column;overflow-wrap:anywhere}
.body>*{flex-shrink:0}
.log{flex:1 0 0;min-height:150px;overflow-y:auto;padding:14px 12px;display:flex;flex-direction:column;gap:10px;background:#f7f7fa}
.m{display:flex;flex-direction:column;max-width:85%;align-items:flex-start}
.me{align-self:flex-end;align-items:flex-end}
.who{font-size:11.5px;color:var(--mu);margin:0 4px 2px}
.me .who{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.bub{padding:9px 12px;border-radius:14px;background:#fff;border:1px solid var(--bd);white-space:pre-wrap;overflow-wrap:anywhere;text-align:start}
.them .bub{border-bottom-left-radius:4px}
.me .bub{background:var(--pa);color:#fff;border-color:var(--pa);border-bottom-right-radius:4px}
.me .bub a{color:#fff}
.bub a{color:var(--pa);text-decoration:underline}
.me[data-state=sending] .bub{opacity:.7}
.me[data-state=failed] .bub{background:#fff;color:#b42318;border-color:#f1a9a0}
.meta{font-size:11.5px;color:var(--mu);margin:2px 4px 0}
.me[data-state=failed] .meta{color:#b42318}
.me[data-seen] .meta:not(.seen){display:none}
.typing{padding:2px 16px 6px;font-size:12.5px;color:var(--mu);font-style:italic;background:#f7f7fa}
.sys{align-self:center;max-width:92%;text-align:center;font-size:12.5px;color:var(--mu);background:#eceef3;border-radius:10px;padding:6px 12px}
.sugg{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.quick{display:flex;flex-wrap:wrap;gap:6px;padding:8px 12px 4px;border-top:1px solid var(--bd)}
.chip{border:1px solid var(--pa);background:#fff;color:var(--pa);border-radius:16px;padding:4px 10px;font-size:12.5px;text-align:left}
.m:not(:last-child) .sugg{display:none}
.quick:not(.all) .extra,.quick:not(.all) .dup,.quick.all .more,.quick:not(.all) .qhead{display:none}
.chip.more{border-style:dashed}
.browse .log,.browse .away,.browse .typing{display:none}
.quick.all{flex:1 0 0;min-height:150px;flex-direction:column;flex-wrap:nowrap;overflow-y:auto;padding-bottom:10px}
.quick.all>*{flex-shrink:0}
.quick.all .chip{border-radius:10px;padding:8px 12px;font-size:14px}
.qhead{display:flex;align-items:center;justify-content:space-between;font-size:12.5px;color:var(--mu);min-height:44px;position:sticky;top:-8px;background:#fff;z-index:1}
.tm{font-size:11px;color:var(--mu);margin:2px 4px 0}
.foot{display:flex;gap:6px;align-items:baseline}
.foot .meta{margin-left:0}
.away{padding:10px 14px;background:#fff8e6;color:#5c3b00;font-size:13px;border-bottom:1px solid #f3dfae;display:flex;flex-direction:column;gap:6px}
.away p{margin:0}
.mailf{display:flex;gap:6px}
.mailf input{flex:1;min-width:0;border:1px solid #c9ccd6;border-radius:8px;padding:6px 9px;background:#fff;font-size:16px;height:38px}
.mailf button{border:0;border-radius:8px;background:var(--pa);color:#fff;padding:0 12px;font-weight:600;height:38px}
.err{color:#b42318}
.rate{display:flex;flex-direction:column;align-items:center;gap:6px;width:100%}
.rate p{margin:0}
.stars{display:flex;gap:2px}
.star{border:0;background:none;font-size:28px;line-height:1;width:44px;height:44px;color:#868b98;padding:0}
.star[aria-pressed=true],.stars:not([data-done]):hover .star{color:#f5a524}
.stars:not([data-done]) .star:hover~.star{color:#868b98}
.rate input{width:100%;height:44px;border:1px solid #c9ccd6;border-radius:8px;padding:6px 10px;background:#fff;font-size:16px}
.panel:focus{outline:none}
.quick[hidden]+.talkrow{border-top:1px solid var(--bd);padding-top:8px}
.talkrow{display:flex;align-items:center;justify-content:flex-end;gap:8px;padding:4px 12px 8px;font-size:12.5px;color:var(--mu)}
.chip:hover{background:#f0f0ff}
.talk{border:0;background:var(--fg);color:#fff;border-radius:16px;padding:6px 13px;font-size:13px;font-weight:600}
.composer{display:flex;gap:8px;align-items:flex-end;padding:10px 12px;border-top:1px solid var(--bd)}
textarea{flex:1;resize:none;text-align:start;border:1px solid #c9ccd6;border-radius:10px;padding:8px 10px;min-height:40px;max-height:120px;background:#fff;line-height:1.4;font-size:16px}
textarea:focus{border-color:var(--pa);outline:none;box-shadow:0 0 0 2px rgba(79,70,229,.25)}
.send{border:0;border-radius:10px;background:var(--pa);color:#fff;padding:0 16px;height:38px;font-weight:600}
.send:disabled{opacity:.5;cursor:not-allowed}
.banner{display:flex;gap:8px;align-items:flex-start;padding:8px 12px;background:#fff4e5;color:#7a4100;font-size:13px;border-top:1px solid #f5d7a8}
.banner span{flex:1}
.link{border:0;background:none;padding:0;color:var(--pa);text-decoration:underline;font-size:inherit}
.banner .link{color:inherit;text-decoration:none;font-size:18px;line-height:1}
.ended{padding:14px;border-top:1px solid var(--bd);text-align:center;display:flex;flex-direction:column;align-items:center;gap:10px}
.ended p{margin:0;color:var(--mu)}
.ended .talk{background:var(--pa);padding:9px 18px;font-size:14px}
@media (max-height:560px) and (min-width:481px){.panel{bottom:8px;right:92px;height:calc(100vh - 16px)}.left .panel{left:92px}}
@media (max-width:480px){.panel{inset:0;width:100%;height:100%;border-radius:0;border:0}.open .launcher{display:none}}
@media (max-width:480px),(pointer:coarse){.chip,.talk,.send,.mailf button,.mailf input{min-height:44px}.chip{padding:8px 12px;font-size:14px}.composer textarea{min-height:44px}.link.retry{min-height:44px;padding:0 6px}}
@media (prefers-reduced-motion:reduce){.launcher{transition:none}}
`;

  // ---- DOM (in a shadow root: no CSS gets in or out)
  const host = document.createElement('parley-widget');
  const shadow = host.attachShadow({ mode: 'open' });
  const style = h('style', null, CSS);
  const root = h('div', { class: 'root' + (ds.parleyPosition === 'left' ? ' left' : ''), 'data-phase': 'none' });
  if (ds.parleyColor && CSS.supports('color', ds.parleyColor)) root.style.setProperty('--pa', ds.parleyColor);

  const ICON = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z"/></svg>';
  const badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  const launcher = h('button', { class: 'launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'parley-panel', 'aria-label': 'Open support chat' });
  const CLOSE = '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false"><path stroke="currentColor" stroke-width="2.4" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>';
  const setIcon = (open) => { launcher.innerHTML = open ? CLOSE : ICON; launcher.append(badge); }; // static markup only
  setIcon(false);

  const sub = h('span', { class: 'sub' });
  const closeBtn = h('button', { class: 'x', type: 'button', 'aria-label': 'Close chat', title: 'Close (Esc)' }, '\u00d7');
  const state = h('div', { class: 'state', 'aria-live': 'polite', hidden: true });
  const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Conversation', tabindex: '0' });
  const typingEl = h('div', { class: 'typing', 'aria-live': 'polite', hidden: true }, 'Agent is typing\u2026');
  const bannerText = h('span');
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true }, bannerText,
    h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: () => hideBanner() }, '\u00d7'));
  const talk = h('button', { type: 'button', class: 'talk', onclick: () => handoff() }, 'Talk to agent');
  const quick = h('div', { class: 'quick', role: 'group', 'aria-label': 'Suggested questions' });
  const talkRow = h('div', { class: 'talkrow' }, h('span', null, 'Prefer a person?'), talk);
  const input = h('textarea', { rows: '1', dir: 'auto', maxlength: '4000', placeholder: 'Type your message\u2026', 'aria-label': 'Message' });
  input.value = tab(':draft') || '';
  const sendBtn = h('button', { type: 'submit', class: 'send' }, 'Send');
  const composer = h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); submit(); } }, input, sendBtn);
  const newBtn = h('button', { type: 'button', class: 'talk', onclick: () => newConversation() }, 'Start a new conversation');
  // After hours or nobody online: when we are back, a reply address (v1.1).
  const awayText = h('p', { class: 'awaytxt' });
  const mailInput = h('input', { type: 'email', required: true, autocomplete: 'email', maxlength: '254', placeholder: 'you@example.com', 'aria-label': 'Your e-mail address' });
  const mailBtn = h('button', { type: 'submit' }, 'Send');
  const mailForm = h('form', { class: 'mailf', onsubmit: (e) => { e.preventDefault(); saveContact(); } }, mailInput, mailBtn);
  const mailErr = h('p', { class: 'err', role: 'alert', hidden: true });
  const mailDone = h('p', { class: 'maildone', hidden: true });
  const away = h('div', { class: 'away', hidden: true }, awayText, mailForm, mailErr, mailDone);
  // After the chat: a tap on a star rates it.
  const rateTitle = h('p', { class: 'ratettl' }, 'How did we do?');
  const rateNote = h('input', { type: 'text', maxlength: '2000', placeholder: 'Anything to tell us? (optional)', 'aria-label': 'Comment (optional)' });
  const stars = h('div', { class: 'stars', role: 'group', 'aria-label': 'Rate this chat: tap a star' },
    ...[1, 2, 3, 4, 5].map((n) => h('button', { type: 'button', class: 'star', 'data-score': n, 'aria-pressed': 'false',
      'aria-label': `${n} of 5 stars`, title: `${n} of 5`, onclick: () => rate(n) }, '\u2605')));
  const rateErr = h('p', { class: 'err', role: 'alert', hidden: true });
  const rateBox = h('div', { class: 'rate' }, rateTitle, rateNote, stars, rateErr);
  const ended = h('div', { class: 'ended', hidden: true }, h('p', null, 'This conversation has ended.'), rateBox, newBtn);
  const panel = h('section', { class: 'panel', id: 'parley-panel', role: 'dialog', 'aria-label': TITLE + ' chat', tabindex: '-1', hidden: true },
    h('header', null, h('div', { class: 'ttl' }, h('strong', null, TITLE), sub), closeBtn),
    // scrolls in a short window; the log keeps its min-height
    h('div', { class: 'body' }, state, away, log, typingEl, quick, talkRow, ended), banner, composer);
  root.append(panel, launcher);
  shadow.append(style, root);

  // ---- state
  let conv = null; // Conversation
  let bySeq = new Map(); // seq -> Message
  let ids = new Set(); // message ids seen
  let hw = 0; // highest seq with no gap below it
  const pend = new Map(); // client_msg_id -> {el, content, kind, slug, q: queued, n: 5xxs, g: given up}
  const OUT = KEY + ':out'; // unsent messages outlive the page
  function out(fn) {
    let o = load(OUT);
    if (o.c !== conv.id) { // unsent in an ended conversation: back in the box
      const t = (o.m || []).map((x) => x.content).join('\n');
      if (t) { input.value = (input.value && input.value + '\n') + t; grow(); draft(); }
      save(OUT, o = { c: conv.id, m: [] });
    }
    if (fn) { fn(o); save(OUT, o); }
    return o;
  }
  const unout = (cid) => out((o) => { o.m = o.m.filter((x) => x.cid !== cid); });
  const keep = ({ cid, content, kind, slug, n, g }) => out((o) => {
    const i = o.m.findIndex((y) => y.cid === cid);
    o.m[i < 0 ? o.m.length : i] = { cid, content, kind, slug, n, g };
  });
  const names = new Map(); // agent id -> display name
  let lastName = '';
  let lastSent = null; // only the newest sent message says "Sent"
  let seenEl = null; // the own message marked "Seen"
  let typingTimer = 0, typedAt = 0, readTimer = 0, readSent = 0, ctxSent = '';

  let faq = [];
  let isOpen = false, unread = 0, handing = false, starting = null, gen = 0, rateUntil = 0;
  let hours = null, cfgLoad = null, editingMail = false, rating = false, quietOpen = false; // hours: widget/config
  let startNote = '', startTimer = 0, startTries = 0, pumping = 0, pumpTimer = 0, offline = false;
  let ws = null, wsReady = false, wsTries = 0, wsTimer = 0, wsUrl = ds.parleyWs || '', pollTimer = 0, ticks = 0;

  const phase = () => !conv ? 'none' : conv.status === 'closed' ? 'closed' : conv.status === 'agent'
    ? (conv.assigned_agent_id ? 'assigned' : 'queued') : 'automated';
  const agentName = () => (conv && names.get(conv.assigned_agent_id)) || lastName || 'an agent';

  // ---- page context, typing, read marks (contract v1.1 "Agents at work")
  const clip = (v) => (v ? String(v).slice(0, 2000) : undefined); // 2,000 characters a field at most
  const pageContext = () => ({ page_url: clip(location.href), page_title: clip(document.title),
    referrer: clip(document.referrer), locale: clip(navigator.language), user_agent: clip(navigator.userAgent) });
  // On another page: tell the agent.
  function noteContext() {
    if (!conv || conv.status === 'closed') return;
    const ctx = pageContext();
    const key = ctx.page_url + '\n' + (ctx.page_title || '');
    const had = conv.context || {};
    if (key === ctxSent || key === had.page_url + '\n' + (had.page_title || '')) { ctxSent = key; return; }
    ctxSent = key;
    api('PUT', `conversations/${conv.id}/context`, ctx).then((r) => setConv(r.conversation), () => { ctxSent = ''; });
  }
  // At most once a second, when a person may be reading.
  function noteTyping() {
    const ph = phase();
    if (!wsReady || (ph !== 'assigned' && ph !== 'queued') || !input.value.trim()) return;
    const now = Date.now();
    if (now - typedAt < 1000) return;
    typedAt = now;
    wsSend({ type: 'typing', conversation_id: conv.id });
  }
  function showTyping(on) {
    clearTimeout(typingTimer);
    const stick = nearBottom();
    typingEl.hidden = !on;
    if (on) typingTimer = setTimeout(() => showTyping(false), 3000);
    if (stick) toBottom();
  }
  // "Seen" under the newest own message the agent has read.
  function updateSeen() {
    const upTo = (conv && conv.agent_last_read_seq) || 0;
    let el = null;
    for (const c of log.children) {
      if (c.classList.contains('me') && c.dataset.seq != null && +c.dataset.seq <= upTo) el = c;
    }
    if (el === seenEl) return;
    if (seenEl) { delete seenEl.dataset.seen; const old = seenEl.querySelector('.seen'); if (old) old.remove(); }
    seenEl = el;
    if (el) { el.dataset.seen = ''; (el.querySelector('.foot') || el).append(h('div', { class: 'meta seen' }, 'Seen')); }
  }
  // The read mark: up to hw while the chat is open in view.
  function noteRead() {
    if (!conv || !isOpen || document.hidden || hw <= Math.max(readSent, conv.customer_last_read_seq || 0)) return;
    clearTimeout(readTimer);
    const seq = hw, id = conv.id; // in view now: a reply after the panel closes stays unread
    readTimer = setTimeout(() => {
      if (!conv || conv.id !== id || seq <= readSent) return;
      readSent = seq;
      api('POST', `conversations/${id}/read`, { seq }).then((r) => setConv(r.conversation), () => { if (readSent === seq) readSent = 0; });
    }, 300);
  }

  // ---- rendering
  function rich(el, text) { // text with http(s) links made clickable; never HTML
    const re = /\bhttps?:\/\/[^\s<>"']+/gi;
    let i = 0, m;
    while ((m = re.exec(text))) {
      let url = m[0]; // less punctuation; a ")" only when unbalanced
      while (/[.,;:!?\]}]$/.test(url) || /\)$/.test(url) && url.split(')').length > url.split('(').length) url = url.slice(0, -1);
      let href = null;
      try { const u = new URL(url); if (/^https?:$/.test(u.protocol)) href = u.href; } catch { /* not a link */ }
      el.append(text.slice(i, m.index));
      el.append(href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, url) : url);
      re.lastIndex = i = m.index + url.length;
    }
    el.append(text.slice(i));
    return el;
  }

  function who(m) {
    if (m.sender_type === 'customer') return 'You';
    if (m.sender_type === 'bot') return 'Assistant';
    return names.get(m.sender_agent_id) || 'Agent';
  }

  // "14:05" in the shopper's zone, or "3 Dec, 14:05" before today.
  const HM = { hour: 'numeric', minute: '2-digit' };
  function shortTime(iso) {
    const d = new Date(iso || NaN);
    if (isNaN(d)) return '';
    return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString([], HM)
      : d.toLocaleString([], { day: 'numeric', month: 'short', ...HM });
  }
  function stamp(el, iso) {
    const t = el.querySelector('.tm');
    if (!t || !iso) return;
    t.dateTime = iso;
    t.textContent = shortTime(iso);
    t.title = new Date(iso).toLocaleString();
  }

  function renderMsg(m) {
    if (m.sender_type === 'system') {
      return h('div', { class: 'm sys', 'data-event': (m.metadata && m.metadata.event) || null }, rich(h('span'), String(m.content || '')));
    }
    const el = h('div', { class: 'm ' + (m.sender_type === 'customer' ? 'me' : 'them ' + m.sender_type) },
      h('span', { class: 'who' }, who(m)),
      rich(h('div', { class: 'bub', dir: 'auto' }), String(m.content || '')),
      h('div', { class: 'foot' }, h('time', { class: 'tm' })));
    stamp(el, m.created_at);
    const md = m.metadata || {};
    if (m.sender_type === 'bot' && md.matched === false && Array.isArray(md.suggestions) && md.suggestions.length) {
      el.append(h('div', { class: 'sugg', role: 'group', 'aria-label': 'Did you mean' },
        ...md.suggestions.map((s) => h('button', { type: 'button', class: 'chip', onclick: () => send(s.question, 'quick_reply', s.slug) }, s.question))));
    }
    return el;
  }

  function setStatus(p, st) {
    const el = p.el;
    el.dataset.state = st;
    let meta = el.querySelector('.meta');
    if (!meta) (el.querySelector('.foot') || el).append(meta = h('div', { class: 'meta' }));
    meta.replaceChildren(h('span', { 'aria-hidden': 'true' }, st === 'sending' ? 'Sending\u2026' : st === 'sent' ? 'Sent' : 'Not sent'));
    if (st === 'sent') {
      if (lastSent && lastSent !== el && lastSent.querySelector('.meta')) lastSent.querySelector('.meta').remove();
      lastSent = el;
    }
    if (st === 'failed') meta.append(' ', h('button', { type: 'button', class: 'link retry', onclick: () => send(p.content, p.kind, p.slug, p) }, 'Retry'));
  }

  function place(el, seq) { // ordered by seq; unsent ones at the end
    if (seq == null) return log.append(el);
    el.dataset.seq = seq;
    let ref = null;
    for (const c of log.children) {
      if (c !== el && (c.dataset.seq == null || +c.dataset.seq > seq)) { ref = c; break; }
    }
    if (el.parentNode !== log || el.nextSibling !== ref) log.insertBefore(el, ref);
  }

  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  const toBottom = () => { log.scrollTop = log.scrollHeight; };

  function merge(m, live) {
    if (!m || !conv || m.conversation_id !== conv.id || ids.has(m.id) || bySeq.has(m.seq)) return false;
    const stick = nearBottom();
    ids.add(m.id);
    bySeq.set(m.seq, m);
    while (bySeq.has(hw + 1)) hw++;
    const md = m.metadata || {};
    if (m.kind === 'event' && md.agent_display_name) {
      if (md.agent_id) names.set(md.agent_id, md.agent_display_name);
      if (md.event === 'assigned') lastName = md.agent_display_name;
    }
    if (md.event === 'unassigned') lastName = '';
    const p = m.client_msg_id && pend.get(m.client_msg_id);
    let el;
    if (p) {
      pend.delete(m.client_msg_id);
      unout(p.cid);
      calm(); // delivered, by whichever way
      setStatus(p, 'sent');
      el = p.el;
      stamp(el, m.created_at);
    } else {
      el = renderMsg(m);
    }
    place(el, m.seq);
    if (m.sender_type === 'agent') showTyping(false);
    if (stick || p || m.sender_type === 'customer') toBottom();
    return true;
  }

  function mergeAll(list, live) {
    let n = 0;
    for (const m of [...(list || [])].sort((a, b) => a.seq - b.seq)) n += merge(m, live);
    if (n) { sync(); noteRead(); countUnread(); }
    if (n && Math.max(...bySeq.keys()) > hw) catchUp(); // a gap: fetch what we missed
    return n;
  }

  function setConv(c) {
    if (!c || !conv || c.id !== conv.id) return;
    if (RANK[c.status] < RANK[conv.status]) return; // stale: the lifecycle only moves forward
    if (c.status === conv.status && c.updated_at && conv.updated_at && Date.parse(c.updated_at) < Date.parse(conv.updated_at)) return;
    c.agent_last_read_seq = Math.max(c.agent_last_read_seq || 0, conv.agent_last_read_seq || 0);
    c.customer_last_read_seq = Math.max(c.customer_last_read_seq || 0, conv.customer_last_read_seq || 0);
    conv = c;
    sync();
    countUnread();
  }

  function useConversation(r) {
    const c = r.conversation, fresh = !conv || conv.id !== c.id;
    if (fresh) {
      conv = c;
      bySeq = new Map(); ids = new Set(); hw = 0; handing = false;
      seenEl = null; readSent = 0; ctxSent = ''; editingMail = false;
      rateNote.value = ''; rateErr.hidden = true; mailErr.hidden = true;
      showTyping(false);
      log.replaceChildren();
      for (const p of pend.values()) p.el.remove();
      pend.clear();
    }
    conv = c;
    store.c = c.id;
    save();
    mergeAll(r.messages, false);
    if (fresh) restore();
    sync();
    toBottom();
    if (wsReady) wsSend({ type: 'resume', conversation_id: conv.id, after_seq: hw });
    schedulePoll();
    noteContext(); // maybe another page
    noteRead();
  }

  function restore() { // an earlier page's unsent messages queue again (same client_msg_id: once)
    grow();
    const done = [...bySeq.values()].map((m) => m.client_msg_id);
    if (phase() === 'closed') return out(); // kept for the next conversation
    for (const x of out((v) => { v.m = v.m.filter((y) => !done.includes(y.cid)); }).m) {
      const p = pending(x);
      p.q = !x.g;
      setStatus(p, x.g ? 'failed' : 'sending');
    }
    pump();
  }

  let lastPhase = '', lastSt;
  function sync() {
    const ph = phase();
    const stick = nearBottom(); // the log's height may change
    root.dataset.phase = ph;
    const chips = faq.length ? faq : (([...bySeq.values()].find((m) => m.sender_type === 'bot') || {}).metadata || {}).suggestions || [];
    if (quick.dataset.n !== String(chips.length)) {
      quick.dataset.n = chips.length;
      quick.replaceChildren(
        h('div', { class: 'qhead' }, h('span', null, `All ${chips.length} questions`),
          h('button', { type: 'button', class: 'link back', onclick: () => browse(false) }, 'Back to chat')),
        ...chips.map((f, i) => h('button', { type: 'button', class: 'chip' + (i > 2 ? ' extra' : ''),
          onclick: () => { browse(false); send(f.question, 'quick_reply', f.slug); } }, f.question)));
      if (chips.length > 3) {
        quick.append(h('button', { type: 'button', class: 'chip more', 'aria-expanded': 'false',
          onclick: () => { browse(true); quick.querySelector('.extra').focus(); } }, `More questions (${chips.length - 3})\u2026`));
      }
    }
    if (ph !== 'automated') browse(false);
    // not twice: what "Did you mean" offers leaves this row
    const dup = [...(log.lastElementChild?.querySelectorAll('.sugg .chip') || [])].map((b) => b.textContent);
    for (const b of quick.querySelectorAll('.chip')) b.classList.toggle('dup', dup.includes(b.textContent));
    quick.hidden = ph !== 'automated' || !quick.querySelector('.chip:not(.extra,.dup)');
    talkRow.hidden = ph !== 'automated' || handing;
    composer.hidden = ph === 'closed' || ph === 'none';
    ended.hidden = ph !== 'closed';
    sendBtn.disabled = Date.now() < rateUntil;
    let st = '';
    if (ph === 'none') st = startNote || (starting ? 'Connecting\u2026' : '');
    else if (ph === 'queued') {
      const q = conv.queue_position;
      st = 'Waiting for an agent' + (q ? ` \u00b7 you are number ${q} in the queue` : '\u2026');
    } else if (ph === 'assigned') st = `You are chatting with ${agentName()}`;
    if (st !== lastSt) { // said once; a focused Try again keeps its focus
      lastSt = st;
      state.replaceChildren(st);
      if (st === startNote) state.append(' ', h('button', { type: 'button', class: 'link', onclick: () => start() }, 'Try again'));
    }
    state.hidden = !st;
    if (ph === 'closed') showTyping(false);
    updateSeen();
    syncAway(ph);
    syncRate(ph);
    sub.textContent = { none: 'We usually reply in a few minutes', automated: 'Instant answers, or talk to a person',
      queued: 'Connecting you to an agent', assigned: agentName() + ' \u00b7 support agent', closed: 'Conversation ended' }[ph];
    if (ph !== lastPhase) {
      if (ph === 'closed' && shadow.activeElement && composer.contains(shadow.activeElement)) newBtn.focus();
      lastPhase = ph;
    }
    if (stick) toBottom();
  }

  // "More questions": all of them in the log's place.
  function browse(on) {
    if (quick.classList.contains('all') === on) return;
    quick.classList.toggle('all', on);
    root.classList.toggle('browse', on);
    const more = quick.querySelector('.more');
    if (more) more.setAttribute('aria-expanded', String(on));
    if (!on) { quick.scrollTop = 0; toBottom(); }
  }

  // "We're back tomorrow at 9:00 (your time)": in the shopper's zone.
  function backAt(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "We're closed right now.";
    const day0 = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate());
    const days = Math.round((day0(d) - day0(new Date())) / 864e5); // round: a DST day is 23 or 25 hours
    const when = days <= 0 ? '' : days === 1 ? 'tomorrow ' : 'on ' + d.toLocaleDateString([], days < 7
      ? { weekday: 'long' } : { weekday: 'long', day: 'numeric', month: 'long' }) + ' ';
    return `We're back ${when}at ${d.toLocaleTimeString([], HM)} (your time).`;
  }
  function syncAway(ph) {
    const show = !!hours && (ph === 'automated' || ph === 'queued') && (!hours.open_now || !hours.agents_online);
    away.hidden = !show;
    root.dataset.away = show ? (hours.open_now ? 'nobody' : 'closed') : '';
    if (!show) return;
    const mail = conv.contact && conv.contact.email;
    const done = !!mail && !editingMail;
    awayText.textContent = (!hours.open_now ? (hours.next_open_at ? backAt(hours.next_open_at) : "We're closed right now.")
      : 'Nobody from our team is online right now.') + (done ? '' : " Leave your e-mail address and we'll answer you there.");
    mailForm.hidden = done;
    mailDone.hidden = !done;
    if (done && mailDone.dataset.mail !== mail) { // once per address: "Change" keeps focus
      mailDone.dataset.mail = mail;
      mailDone.replaceChildren(`Thanks! We'll write to ${mail}. `, h('button', { type: 'button', class: 'link', onclick: () => {
        editingMail = true; mailInput.value = mail; sync(); mailInput.focus();
      } }, 'Change'));
    }
  }
  function syncRate(ph) {
    if (ph !== 'closed') return;
    const r = conv.rating;
    stars.toggleAttribute('data-done', !!r);
    for (const b of stars.children) {
      b.setAttribute('aria-pressed', String(!!r && +b.dataset.score <= r.score));
      b.disabled = !!r || rating;
    }
    rateTitle.textContent = r ? 'Thanks for your feedback!' : 'How did we do?';
    rateNote.hidden = !!r;
  }

  // Agent messages after the shopper's read mark, unseen.
  function countUnread() {
    let n = 0;
    if (conv && (!isOpen || document.hidden)) {
      const mark = Math.max(readSent, conv.customer_last_read_seq || 0);
      for (const m of bySeq.values()) if (m.seq > mark && m.sender_type === 'agent') n++;
    }
    if (n !== unread) { unread = n; showBadge(); }
  }

  function showBadge() {
    badge.hidden = !unread;
    badge.textContent = unread > 9 ? '9+' : String(unread);
    launcher.setAttribute('aria-label', isOpen ? 'Close support chat' : 'Open support chat' + (unread ? `, ${unread} unread` : ''));
  }

  let bannerTimer = 0;
  function showBanner(text, ms) {
    const stick = nearBottom();
    bannerText.textContent = text;
    banner.hidden = false;
    if (stick) toBottom();
    clearTimeout(bannerTimer);
    if (ms) bannerTimer = setTimeout(hideBanner, ms);
  }
  function hideBanner() { banner.hidden = true; clearTimeout(bannerTimer); }
  const calm = () => { if (Date.now() >= rateUntil) hideBanner(); }; // not the 429 countdown

  function rateWait(secs) { // 429: a countdown, then the held sends go
    rateUntil = Date.now() + secs * 1000;
    const tick = () => {
      const left = Math.ceil((rateUntil - Date.now()) / 1000);
      if (left > 0) {
        showBanner(`You're sending messages quickly. Please wait ${left} second${left > 1 ? 's' : ''}\u2026`);
        setTimeout(tick, 500);
      } else {
        hideBanner();
        sync();
        pump();
      }
    };
    tick();
    sync();
  }

  function handleError(e, what) {
    if (e.status === 429) return rateWait(e.retryAfter);
    if (e.status === 409 || e.status === 404) refresh();
    if (e.status === 401) { delete store.t; delete store.c; save(); }
    showBanner((what ? what + ' ' : '') + e.message, e.status === 0 ? 0 : 8000);
  }

  // ---- actions
  function pending(x) {
    const p = { ...x, el: renderMsg({ sender_type: 'customer', content: x.content }) };
    pend.set(p.cid, p);
    place(p.el, null);
    sync();
    toBottom();
    return p;
  }

  function send(content, kind, slug, p) {
    if (!conv || phase() === 'closed') return;
    p = p || pending({ cid: uuid(), content, kind, slug });
    Object.assign(p, { q: 1, n: 0, g: 0, b: 0 });
    keep(p);
    setStatus(p, 'sending');
    pump();
  }
  // One at a time, in order; one that fails holds the later ones back
  async function pump() {
    clearTimeout(pumpTimer);
    if (pumping) return;
    pumping = 1;
    for (let p; conv && phase() !== 'closed' && Date.now() >= rateUntil && (p = [...pend.values()].find((x) => x.q));) {
      const body = { content: p.content, client_msg_id: p.cid };
      if (p.kind === 'quick_reply') Object.assign(body, { kind: p.kind, faq_slug: p.slug });
      setStatus(p, 'sending');
      try {
        const r = await api('POST', `conversations/${conv.id}/messages`, body, 1);
        p.q = 0;
        merge(r.message, false);
        mergeAll(r.replies, true);
        sync();
      } catch (e) {
        if (pend.get(p.cid) !== p) continue; // it arrived by another way meanwhile
        handleError(e, e.status === 429 ? '' : 'Your message was not sent.');
        if (e.status === 429) break; // stays queued: goes when the wait is over
        setStatus(p, 'failed');
        // network or 5xx: again, with backoff; after four 5xx or other errors: kept, Not sent, not in the way
        if ((!e.status || e.status >= 500) && (!e.status || ++p.n < 4)) {
          keep(p);
          pumpTimer = setTimeout(pump, backoff(p.b++));
          break;
        }
        p.q = 0;
        p.g = 1;
        keep(p);
      }
    }
    pumping = 0;
  }

  function submit() {
    const text = input.value.trim();
    if (!text) return input.focus();
    if (!conv) return start();
    input.value = '';
    grow();
    draft();
    send(text);
    input.focus(); // also after a click on Send
  }

  async function handoff() {
    if (handing || phase() !== 'automated') return; // a double click hands off once
    handing = true;
    sync();
    focusMain();
    try {
      const r = await api('POST', `conversations/${conv.id}/handoff`, null, 1);
      calm();
      setConv(r.conversation);
      await catchUp();
    } catch (e) {
      handing = false;
      handleError(e, 'Could not reach an agent.');
    }
    sync();
  }

  async function saveContact() {
    const email = mailInput.value.trim();
    if (!conv || !email) return mailInput.focus();
    mailBtn.disabled = true;
    mailErr.hidden = true;
    try {
      const r = await api('POST', `conversations/${conv.id}/contact`, { email }, 1);
      calm();
      editingMail = false;
      setConv(r.conversation);
      if (r.conversation && r.conversation.contact) conv.contact = r.conversation.contact;
    } catch (e) {
      mailErr.textContent = e.status === 400 ? 'Please enter an e-mail address such as name@example.com.' : e.message;
      mailErr.hidden = false;
      if (e.status === 409 || e.status === 404) refresh();
    }
    mailBtn.disabled = false;
    sync();
  }

  async function rate(score) {
    if (!conv || conv.rating || rating || phase() !== 'closed') return;
    rating = true;
    rateErr.hidden = true;
    sync();
    const body = { score };
    if (rateNote.value.trim()) body.comment = rateNote.value.trim();
    try {
      const r = await api('POST', `conversations/${conv.id}/rating`, body, 1);
      calm();
      setConv(r.conversation);
      if (r.conversation && r.conversation.rating) conv.rating = r.conversation.rating;
    } catch (e) {
      if (e.status === 409) await refresh(); // rated already (another tab)
      else { rateErr.textContent = 'Your rating was not sent. ' + e.message; rateErr.hidden = false; }
    }
    rating = false;
    sync();
  }

  async function newConversation() {
    newBtn.disabled = true;
    gen++; // a start still under way is dropped
    try {
      useConversation(await api('POST', 'conversations', { context: pageContext() }, 1));
      hideBanner();
      input.focus();
    } catch (e) {
      handleError(e, 'Could not start a new conversation.');
    }
    newBtn.disabled = false;
  }

  async function catchUp() {
    if (!conv) return;
    const id = conv.id;
    const r = await api('GET', `conversations/${id}/messages?after_seq=${hw}`).catch(() => null);
    if (r && conv && conv.id === id) mergeAll(r.messages, true);
  }

  async function refresh() {
    if (!conv) return;
    const r = await api('GET', `conversations/${conv.id}`).catch(() => null);
    if (r && r.conversation) { setConv(r.conversation); mergeAll(r.messages, true); }
  }

  // ---- start: session, conversation, realtime
  // Creating them: one tab at a time (Web Locks), each reading localStorage again first. The lock
  // goes after 10 s even if the server has not answered (the start goes on): no tab waits forever.
  // Without navigator.locks (old browsers, plain http): unserialized.
  function locked(fn) {
    if (!navigator.locks) return fn();
    let p;
    const hold = () => Promise.race([p = fn(), new Promise((r) => setTimeout(r, 1e4))]).catch(() => {});
    return navigator.locks.request(KEY, hold).then(() => p, () => p || fn()); // refused (an opaque origin): unserialized
  }
  // All tabs share one session and conversation. A start's result is dropped once a newer one began.
  function start(again) {
    if (starting && !again) return starting;
    const g = ++gen;
    clearTimeout(startTimer);
    starting = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          const stored = () => { const v = load(); return v.t ? v : { t: store.t, c: store.c }; }; // maybe another tab's, never mixed with ours
          const get = (c) => api('GET', `conversations/${c}`, null, 1, s.t).catch((e) => { if (e.status === 404) return null; throw e; });
          let s = stored(), more = s.t, gone = s.c, r = null;
          if (more) loadMore();
          if (s.c) r = await get(s.c);
          // none (or not found): made under the lock, unless another tab has made them meanwhile
          if (!r) r = await locked(async () => {
            if (g !== gen) return;
            s = stored();
            if (!s.t) {
              const n = await api('POST', 'customer/session', null, 1);
              if (g !== gen) return;
              Object.assign(store, s = { t: n.token, c: null });
              save();
            }
            if (!more) loadMore();
            const c = (s.c && s.c !== gone && await get(s.c)) || await api('POST', 'conversations', { context: pageContext() }, 1, s.t);
            if (g !== gen) return;
            Object.assign(store, { t: s.t, c: c.conversation.id });
            save(); // before the lock goes: the next tab finds it
            return c;
          });
          if (g !== gen) return;
          store.t = s.t;
          startNote = '';
          startTries = 0;
          useConversation(r);
          const f = shadow.activeElement;
          if (isOpen && !quietOpen && (!f || f === panel || f === launcher)) focusMain();
          connect();
          hideBanner();
          return;
        } catch (e) {
          if (g !== gen) return;
          if (e.status === 401 && !attempt) { delete store.t; delete store.c; save(); continue; } // a wiped server's token: anew
          starting = null;
          startNote = e.message; // stays, with Try again, until a start works
          sync();
          if (!e.status || e.status >= 500) startTimer = setTimeout(start, backoff(startTries++)); // by itself too
          return;
        }
      }
    })();
    sync();
    return starting;
  }

  function loadMore() {
    if (!cfgLoad) loadConfig();
    if (!faq.length) api('GET', 'faq').then((r) => { faq = (r.faq || []).filter((f) => f.is_active !== false); sync(); }, () => {});
  }

  function wsSend(f) { try { ws.send(JSON.stringify(f)); } catch { /* reconnect will resume */ } }

  // widget/config: the WebSocket URL, and whether anyone can answer (v1.1).
  function loadConfig() {
    return (cfgLoad = api('GET', 'widget/config').then((c) => {
      if (!wsUrl) wsUrl = c.ws_url || '';
      if (typeof c.open_now === 'boolean') { hours = c; sync(); }
    }, () => {}));
  }

  async function connect() {
    if (ws || wsTimer) return;
    if (!wsUrl) await (cfgLoad || loadConfig());
    if (wsUrl) openWs();
  }

  function openWs() {
    wsTimer = 0;
    let s;
    try { s = new WebSocket(wsUrl); } catch { return retryWs(); }
    ws = s;
    s.onopen = () => wsSend({ type: 'hello', token: store.t });
    s.onmessage = (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch { return; }
      const d = f.data || {};
      if (f.type === 'hello.ok') {
        wsReady = true;
        wsTries = 0;
        back();
        if (conv) wsSend({ type: 'resume', conversation_id: conv.id, after_seq: hw });
      } else if (f.type === 'message.created') mergeAll([d.message], true);
      else if (f.type === 'agent.assigned') {
        if (d.agent) { names.set(d.agent.id, d.agent.display_name); lastName = d.agent.display_name; }
        setConv(d.conversation);
      } else if (f.type === 'conversation.updated' || f.type === 'chat.closed') setConv(d.conversation);
      else if (f.type === 'typing') {
        if (conv && d.conversation_id === conv.id && d.sender_type === 'agent') showTyping(true);
      } else if (f.type === 'conversation.read') {
        if (conv && d.conversation_id === conv.id && d.reader === 'agent' && d.seq > (conv.agent_last_read_seq || 0)) {
          conv.agent_last_read_seq = d.seq;
          updateSeen();
        }
      }
    };
    s.onclose = () => {
      if (ws !== s) return;
      ws = null;
      wsReady = false;
      retryWs();
      schedulePoll();
    };
  }

  const backoff = (n) => Math.min(30000, 1000 * 2 ** n) * (0.6 + Math.random() * 0.4); // 1 s .. 30 s, jittered
  function retryWs() { wsTimer = setTimeout(openWs, backoff(wsTries++)); }

  // Polling while the WebSocket is down.
  function schedulePoll(ms) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, ms || 2500);
  }
  async function poll() {
    if (wsReady || !conv || conv.status === 'closed') return; // a WS close or new conversation resumes it
    const id = conv.id, before = hw;
    try {
      const r = await api('GET', `conversations/${id}/messages?after_seq=${hw}`);
      if (offline) back();
      if (conv.id === id) mergeAll(r.messages, true);
      if (hw !== before || phase() === 'queued' || ++ticks % 4 === 0) await refresh();
    } catch { offline = true; /* try again next tick */ }
    schedulePoll();
  }
  function back() { offline = false; calm(); pump(); } // support can be reached again

  // ---- open / close, keyboard
  function setOpen(v, quiet) {
    quietOpen = !!quiet;
    if (v && !isOpen && conv) loadConfig(); // has anyone come online since?
    isOpen = v;
    tab(':open', v && '1');
    panel.hidden = !v;
    root.classList.toggle('open', v);
    launcher.setAttribute('aria-expanded', String(v));
    setIcon(v);
    showBadge();
    if (v) {
      countUnread();
      start();
      toBottom();
      if (!quiet) focusMain();
      noteRead();
    }
  }
  function focusMain() { (phase() === 'closed' ? newBtn : composer.hidden ? panel : input).focus(); }
  const grow = () => { input.style.height = 'auto'; if (input.scrollHeight) input.style.height = Math.min(input.scrollHeight, 120) + 'px'; };
  launcher.addEventListener('click', () => setOpen(!isOpen));
  closeBtn.addEventListener('click', () => { setOpen(false); launcher.focus(); });
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && isOpen) { e.stopPropagation(); setOpen(false); launcher.focus(); }
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  input.addEventListener('input', () => { grow(); noteTyping(); draft(); });
  const wake = () => { // online or in view: no long backoff
    if (!ws && wsTimer && wsUrl) { clearTimeout(wsTimer); wsTries = 0; openWs(); }
    if (!wsReady && conv) schedulePoll(10);
    if (!conv && startTimer) start();
  };
  window.addEventListener('online', () => { wake(); back(); });
  // Another tab started a chat (or a new one): this tab follows.
  window.addEventListener('storage', (e) => {
    const s = load();
    if (e.key !== KEY || !s.c || (s.t === store.t && s.c === store.c)) return;
    if (ws && s.t !== store.t) ws.close(); // it reconnects with the new token
    quietOpen = true; // not taking the focus
    start(1);
  });
  // Single-page shops: watch the history and the URL.
  window.addEventListener('popstate', () => noteContext());
  window.addEventListener('hashchange', () => noteContext());
  setInterval(() => { if (conv && ctxSent && !ctxSent.startsWith(location.href + '\n')) noteContext(); }, 2000);
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    if (isOpen) { countUnread(); noteRead(); }
    wake();
  });

  const mount = () => (document.body || document.documentElement).append(host);
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
  sync();
  if (store.t && store.c && tab(':open')) setOpen(true, true); // open on the last page: here too, quietly
  else if (store.t) start(); // a returning shopper: for the badge
  // While waiting for a person: has the team come online?
  setInterval(() => { const ph = phase(); if (isOpen && !document.hidden && (ph === 'automated' || ph === 'queued')) loadConfig(); }, 60000);

  window.Parley = window.Parley || { open: () => setOpen(true), close: () => setOpen(false) };
})();
