// wsx_client.js - a WebSocket client on Node's `ws` speaking the WSX session protocol
// (../shared/WSX-PROTOCOL.md): create-session, invocations, and answers to the server's
// zwsx.rqc requests with client-response. The end-to-end test uses it as the "real
// client" that the web admin's changes must reach.
'use strict';

const WebSocket = require('ws');

const now = () => new Date().toISOString().replace('Z', '');

// Opens url. Resolves with a WsxClient once the upgrade succeeded; rejects with the
// socket error (err.code 'ECONNREFUSED' when nobody listens).
function connect(url, { timeout = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeout });
    const client = new WsxClient(ws);
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      const err = new Error(`upgrade refused with HTTP ${res.statusCode}`);
      err.code = `HTTP_${res.statusCode}`;
      ws.terminate();
      reject(err);
    });
  });
}

// The error code of connecting to url ('ECONNREFUSED', ...), or null when it connected
// (that connection is closed again).
async function connectError(url) {
  try {
    const c = await connect(url);
    c.terminate();
    return null;
  } catch (err) {
    return err.code || String(err);
  }
}

class WsxClient {
  constructor(ws) {
    this.ws = ws;
    this.seq = 0;
    this.token = null;
    this.messages = []; // every message received, parsed
    this.waiters = [];
    this.requests = []; // the zwsx.rqc requests answered
    // answer(data) -> the client-response's data.response; null: do not answer
    this.answer = null;
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) =>
      resolve({ code, reason: reason.toString('utf8') })));
    ws.on('error', () => {}); // a close follows; the test looks at that
    ws.on('message', (raw) => this.onMessage(raw));
  }

  onMessage(raw) {
    let msg;
    try {
      msg = JSON.parse(raw.toString('utf8'));
    } catch {
      msg = { unparsed: raw.toString('utf8') };
    }
    if (msg.meta && msg.meta.msg_type === 'zwsx.rqc' && this.answer) {
      this.requests.push(msg);
      this.send('client-response', { response: this.answer(msg.data) }, { in_reply_to: msg.meta.id });
      return;
    }
    this.messages.push(msg);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(msg)) return true;
      clearTimeout(w.timer);
      w.resolve(msg);
      return false;
    });
  }

  // Resolves with the first message (already received or coming) for which pred is true.
  next(pred, timeout = 10000, what = 'a message') {
    const got = this.messages.find(pred);
    if (got) return Promise.resolve(got);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no ${what} within ${timeout} ms; got ${JSON.stringify(this.messages).slice(0, 500)}`));
      }, timeout);
      this.waiters.push(w);
    });
  }

  // Sends one envelope; returns its meta.id.
  send(action, data, extraMeta = {}) {
    const id = `e2e-${++this.seq}`;
    const meta = { id, timestamp: now(), action, ...extraMeta };
    if (this.token && action !== 'create-session') meta.token = this.token;
    this.ws.send(JSON.stringify(data === undefined ? { meta } : { meta, data }));
    return id;
  }

  // create-session; resolves with the server's reply (zwsx.rspa with the token, or
  // zwsx.merr) and keeps the token.
  async login({ username, secret, clientId, clientName } = {}) {
    const meta = {};
    if (username !== undefined) meta.username = username;
    if (secret !== undefined) meta.secret = secret;
    if (clientId !== undefined) meta.client_id = clientId;
    if (clientName !== undefined) meta.client_name = clientName;
    const id = this.send('create-session', undefined, meta);
    const reply = await this.next((m) => m.meta && (m.meta.in_reply_to === id || m.meta.msg_type === 'zwsx.merr'),
      10000, 'answer to create-session');
    if (reply.meta.msg_type === 'zwsx.rspa') this.token = reply.data.token;
    return reply;
  }

  // invoke-service with data; resolves with the reply.
  invoke(data) {
    const id = this.send('invoke-service', data);
    return this.next((m) => m.meta && m.meta.in_reply_to === id, 10000, 'answer to invoke-service');
  }

  // Resolves with {code, reason} of the close, or rejects after timeout.
  closeInfo(timeout = 10000) {
    return Promise.race([this.closed, new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`connection not closed within ${timeout} ms`)), timeout))]);
  }

  close() {
    this.ws.close(1000);
  }

  terminate() {
    this.ws.terminate();
  }
}

module.exports = { connect, connectError };
