#!/usr/bin/env node
// zato_client.js - a client that sends what Zato's JavaScript client (zato-js-client)
// sends, on Node's `ws`, for the wsx integration tests (see ../zato_client.py for the
// facts it follows). Our own code.
//
// node zato_client.js URL CONFIG_JSON
//   CONFIG_JSON: {"client_id": ..., "client_name": ..., "username": ..., "secret": ...}
//   On open it sends create-session (meta id, timestamp, action, client_id, client_name,
//   username, secret; null when not set, as the JS client does) and waits for the token.
//
// Events out, JSON lines on stdout:
//   {"event":"open"}
//   {"event":"sent","msg":{...}}                      every message sent, as sent
//   {"event":"session","token":"...","msg":{...}}     the create-session reply with a token
//   {"event":"response","id":"...","msg":{...}}       any other reply (meta.in_reply_to = id)
//   {"event":"request","msg":{...}}                   a message without in_reply_to: a
//                                                     request from the server; it is answered
//   {"event":"pong","data":"..."}
//   {"event":"close","code":N,"reason":"..."}
//   {"event":"error","code":"...","message":"..."}
// Commands in, JSON lines on stdin:
//   {"op":"invoke","service":S,"request":R}   invoke-service with data {service, request}
//   {"op":"ping","data":"beep"}
//   {"op":"close","code":1000}
//   {"op":"exit"}
//
// Answering the server: Zato's JS client hands server requests to its on_message_received
// callback and has no client-response of its own; this one answers like Zato's Python client
// (action client-response, meta.in_reply_to = the request's id, data {"response": ...}) with
// the response {"answered_by": client_name, "request": <the request's data>}.
'use strict';

const WebSocket = require('ws');
const readline = require('readline');

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function finish() {
  process.stdout.write('', () => process.exit(0));
}

const url = process.argv[2];
const config = JSON.parse(process.argv[3] || '{}');
const client = {
  client_id: config.client_id === undefined ? null : config.client_id,
  client_name: config.client_name === undefined ? null : config.client_name,
  username: config.username === undefined ? null : config.username,
  secret: config.secret === undefined ? null : config.secret,
  token: '<invalid>', // the JS client's placeholder until it has a session
};

// As zato-js-client's generate_msg_id
function generateMsgId() {
  return client.client_name + '.' + Math.random().toString(16);
}

// As zato-js-client's get_base_message
function baseMessage(msgId) {
  return { meta: { id: msgId, timestamp: new Date().toISOString() } };
}

const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 0, handshakeTimeout: 20000 });
let sessionId = null;

function send(msg) {
  emit({ event: 'sent', msg });
  ws.send(JSON.stringify(msg));
}

ws.on('open', () => {
  emit({ event: 'open' });
  sessionId = generateMsgId();
  const msg = baseMessage(sessionId);
  msg.meta.action = 'create-session';
  msg.meta.client_id = client.client_id;
  msg.meta.client_name = client.client_name;
  msg.meta.username = client.username;
  msg.meta.secret = client.secret;
  send(msg);
});

ws.on('message', (data) => {
  const msg = JSON.parse(data.toString('utf8'));
  const inReplyTo = msg.meta && msg.meta.in_reply_to;
  if (inReplyTo) {
    if (inReplyTo === sessionId && msg.data && msg.data.token) {
      client.token = msg.data.token;
      emit({ event: 'session', token: client.token, msg });
    } else {
      emit({ event: 'response', id: inReplyTo, msg });
    }
    return;
  }
  emit({ event: 'request', msg });
  const reply = baseMessage(generateMsgId());
  reply.meta.action = 'client-response';
  reply.meta.token = client.token;
  reply.meta.in_reply_to = msg.meta ? msg.meta.id : null;
  reply.data = { response: { answered_by: client.client_name, request: msg.data } };
  if (ws.readyState === WebSocket.OPEN) send(reply);
});

ws.on('pong', (data) => emit({ event: 'pong', data: data.toString('utf8') }));
ws.on('error', (err) => emit({ event: 'error', code: err.code || null, message: String(err.message) }));
ws.on('close', (code, reason) => {
  emit({ event: 'close', code, reason: reason.toString('utf8') });
});

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line);
  if (cmd.op === 'invoke') {
    // As zato-js-client's get_service_invoke_message
    const msgId = generateMsgId();
    const msg = baseMessage(msgId);
    msg.meta.action = 'invoke-service';
    msg.meta.token = client.token;
    msg.meta.id = msgId;
    msg.data = { service: cmd.service, request: cmd.request };
    send(msg);
  } else if (cmd.op === 'ping') {
    ws.ping(cmd.data || 'beep');
  } else if (cmd.op === 'close') {
    ws.close(cmd.code || 1000);
  } else if (cmd.op === 'exit') {
    ws.terminate();
    finish();
  }
});
rl.on('close', () => {
  ws.terminate();
  finish();
});
