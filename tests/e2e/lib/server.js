// server.js - a real `wsx server` for the end-to-end tests: a temporary data directory,
// a free admin port, WSX_ADMIN_PASSWORD set, started and stopped like the integration
// tests' WsxServer (tests/integration/wsxlib.py). The binary is $WSX_BIN, else
// build/asan/wsx, else build/wsx.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ADMIN_USER = 'admin';
const ADMIN_PASSWORD = 'e2e-admin-password';

function wsxBin() {
  if (process.env.WSX_BIN) return process.env.WSX_BIN;
  for (const p of ['build/asan/wsx', 'build/wsx']) {
    const full = path.join(ROOT, p);
    if (fs.existsSync(full)) return full;
  }
  throw new Error('no wsx binary: run `make build/asan/wsx` or set WSX_BIN');
}

// Ports handed out in this run, so two asks never get the same one.
const handedOut = new Set();

// True when nobody listens on 127.0.0.1:port and it can be bound now.
function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

// A port in 20000-32000 (below the ephemeral range, so no client connection takes it
// meanwhile), free now and not handed out before in this run.
async function freePort() {
  for (let i = 0; i < 2000; i++) {
    const p = 20000 + Math.floor(Math.random() * 12000);
    if (handedOut.has(p)) continue;
    handedOut.add(p);
    if (await portIsFree(p)) return p;
  }
  throw new Error('no free port found in 20000-32000');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class WsxServer {
  constructor() {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsx-e2e-'));
    this.logPath = path.join(this.dataDir, 'server.log');
    this.proc = null;
    this.port = null;
    this.exit = null; // {code, signal} once the process ended
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  async healthz() {
    try {
      const r = await fetch(this.url + '/healthz', { signal: AbortSignal.timeout(3000) });
      return r.status === 200;
    } catch {
      return false;
    }
  }

  // Starts the server and waits for GET /healthz = 200 (60 s: ASan on a busy machine).
  async start() {
    for (let attempt = 0; attempt < 3; attempt++) {
      this.port = await freePort();
      const log = fs.openSync(this.logPath, 'a');
      const env = { ...process.env, WSX_ADMIN_PASSWORD: ADMIN_PASSWORD };
      if (!env.ASAN_OPTIONS) env.ASAN_OPTIONS = 'detect_leaks=1';
      this.exit = null;
      this.proc = spawn(wsxBin(), ['server', '--data', path.join(this.dataDir, 'var'),
        '--admin', `127.0.0.1:${this.port}`, '--workers', '2'],
      { env, stdio: ['ignore', log, log] });
      fs.closeSync(log);
      const ended = new Promise((resolve) => this.proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }));
      this.ended = ended;
      const deadline = Date.now() + 60000;
      while (Date.now() < deadline && !this.exit) {
        if (await this.healthz()) return this;
        await sleep(100);
      }
      if (!this.exit) {
        this.proc.kill('SIGKILL');
        await ended;
        throw new Error(`wsx server did not answer /healthz within 60 s:\n${this.log().slice(-4000)}`);
      }
      if (!/cannot listen/.test(this.log())) break; // not a lost race for the port
    }
    throw new Error(`wsx server exited with ${JSON.stringify(this.exit)} before it was ready:\n` +
      this.log().slice(-4000));
  }

  // SIGTERM and wait (60 s, then SIGKILL); returns the exit code (under ASan, non-zero
  // means a leak or a sanitizer report).
  async stop() {
    if (!this.proc) return null;
    if (!this.exit) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 60000);
      await this.ended;
      clearTimeout(t);
    }
    return this.exit.signal ? `signal ${this.exit.signal}` : this.exit.code;
  }

  // The admin API with HTTP Basic auth, for checks behind the browser's back.
  async api(method, p, body) {
    const headers = { Authorization: 'Basic ' + Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64') };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(this.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch { /* not JSON */ }
    return { status: r.status, json, text };
  }

  // The channel named `name` as the API shows it, or null.
  async channelByName(name) {
    const r = await this.api('GET', `/api/v1/channels?cluster=1&query=${encodeURIComponent(name)}`);
    if (r.status !== 200) throw new Error(`GET /api/v1/channels: ${r.status} ${r.text}`);
    return r.json.items.find((c) => c.name === name) || null;
  }

  cleanup() {
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

module.exports = { WsxServer, freePort, ADMIN_USER, ADMIN_PASSWORD, ROOT };
