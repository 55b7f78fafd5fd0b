'use strict';
// Shared helpers of the browser tests: start the real parley-server, drive its REST API as an
// agent or admin, and launch Debian's headless Chromium through playwright-core.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const REPO = path.resolve(__dirname, '..', '..');
const WEB_ROOT = path.join(REPO, 'widget-web');
const ARTIFACTS = process.env.PARLEY_TEST_ARTIFACTS || path.join(__dirname, 'artifacts');
const ADMIN_PASSWORD = 'admin-secret-1';
fs.mkdirSync(ARTIFACTS, { recursive: true });

// Distinct loopback ports with nothing listening on them (for a WebSocket URL that must fail; the
// server itself always picks its own ports).
async function freePorts(n) {
  const servers = [];
  for (let i = 0; i < n; i++) {
    const s = net.createServer();
    await new Promise((res, rej) => s.once('error', rej).listen(0, '127.0.0.1', res));
    servers.push(s);
  }
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((res) => s.close(res))));
  return ports;
}

const until = async (what, fn, timeoutMs = 20000, everyMs = 100) => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, everyMs));
  }
};

// Starts the server binary named by PARLEY_SERVER_BINARY with a temp data dir, on ports it picks
// itself (--http-port 0), read back from its --ports-file as the C++ tests' launcher does
// (tests/support/ServerLauncher): no port is chosen here, so parallel runs cannot race for one.
// One port serves REST, the widget and /ws. restart() stops it and starts it again on the same
// port and data dir; down() and up() do the same in two steps (the server away for a while).
async function startServer(extraArgs = []) {
  const bin = process.env.PARLEY_SERVER_BINARY;
  if (!bin) throw new Error('PARLEY_SERVER_BINARY must name the parley-server binary (CTest sets it)');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-browser-'));
  const portsFile = path.join(dataDir, 'ports');
  const args = ['--host', '127.0.0.1', '--data-dir', path.join(dataDir, 'data'), '--admin-password', ADMIN_PASSWORD,
    '--web-root', WEB_ROOT, '--ports-file', portsFile,
    // As the C++ suites' launcher does: on a loaded test machine (ctest -j2 beside a build) a
    // request may wait longer than the default 40 ms for a handler without the server being
    // overloaded in the sense the tests are about.
    '--http-queue-wait-ms', '10000', ...extraArgs];
  let httpPort = 0, wsPort = 0;
  let output = '';
  let run = null; // {exited, gone, proc}

  async function spawnOnce() {
    fs.rmSync(portsFile, { force: true });
    const proc = spawn(bin, ['--http-port', String(httpPort), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = { proc, exited: null };
    r.gone = new Promise((res) => proc.once('exit', (code, sig) => { r.exited = { code, sig }; res(); }));
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; });
    run = r;
    try {
      // The file appears (renamed into place, whole) once the server listens.
      const line = await until('the ports file', async () =>
        r.exited || (fs.existsSync(portsFile) && fs.readFileSync(portsFile, 'utf8')), 30000, 50);
      if (r.exited) throw new Error('exited');
      httpPort = Number(/http=(\d+)/.exec(line)[1]);
      wsPort = Number(/ws=(\d+)/.exec(line)[1]);
    } catch (e) {
      proc.kill('SIGKILL');
      throw new Error(`parley-server did not start listening (${r.exited ? 'exit ' + JSON.stringify(r.exited) : e.message}):\n${output}`);
    }
  }
  async function stopOnce() {
    if (!run.exited) {
      run.proc.kill('SIGTERM');
      const t = setTimeout(() => run.proc.kill('SIGKILL'), 15000);
      await run.gone;
      clearTimeout(t);
    }
    return run.exited;
  }

  await spawnOnce();
  const base = `http://127.0.0.1:${httpPort}`;
  return {
    base, httpPort, wsPort, dataDir,
    output: () => output,
    async restart() {
      await this.down();
      await this.up();
    },
    async down() {
      const exit = await stopOnce();
      if (exit.code !== 0) throw new Error('server did not stop cleanly: ' + JSON.stringify(exit));
    },
    async up() {
      await spawnOnce();
    },
    async stop() {
      const exit = await stopOnce();
      fs.rmSync(dataDir, { recursive: true, force: true });
      return exit;
    },
  };
}

// One HTTP request on its own connection (no keep-alive: an idle pooled connection would
// hold up the server's SIGTERM shutdown). Answers {status, body, headers}.
function request(base, method, urlPath, token, body, timeoutMs = 15000) {
  const headers = { Connection: 'close' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
  if (data) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': data.length });
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(urlPath, base), { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { json = text; }
        resolve({ status: res.statusCode, body: json, headers: res.headers });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}
const rest = (base, method, urlPath, token, body) => request(base, method, urlPath, token, body);

async function restOk(base, method, urlPath, token, body) {
  const r = await rest(base, method, urlPath, token, body);
  if (r.status >= 300) throw new Error(`${method} ${urlPath} -> ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function adminToken(base) {
  return (await restOk(base, 'POST', '/api/v1/agent/login', null, { username: 'admin', password: ADMIN_PASSWORD })).token;
}

// Creates an agent through the admin API, signs it in, and (unless online:false) sets it online.
async function createAgent(base, { username = 'alice', displayName = 'Alice Moreau', online = true } = {}) {
  const admin = await adminToken(base);
  const password = 'agent-pass-' + username;
  await restOk(base, 'POST', '/api/v1/admin/agents', admin,
    { username, display_name: displayName, password, max_active_chats: 5, role: 'agent' });
  const { token, agent } = await restOk(base, 'POST', '/api/v1/agent/login', null, { username, password });
  if (online) await restOk(base, 'PUT', '/api/v1/agent/presence', token, { presence: 'online' });
  return { token, agent, displayName };
}

async function addFaq(base, entries) {
  const admin = await adminToken(base);
  for (const e of entries) await restOk(base, 'POST', '/api/v1/admin/faq', admin, { is_active: true, ...e });
}

const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Debian's Chromium; playwright-core gives every launch a fresh temporary user-data-dir.
function launchBrowser() {
  return chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true, args: BROWSER_ARGS });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, name + '.png') });
}

module.exports = { REPO, WEB_ROOT, ARTIFACTS, freePorts, until, startServer, rest, restOk, adminToken, createAgent, addFaq, launchBrowser, shot };
