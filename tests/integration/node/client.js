#!/usr/bin/env node
// client.js - a WebSocket client on Node's `ws` for the wsx integration tests.
// Prints what happens as JSON lines on stdout:
//   {"event":"open"} (with "extensions" when WSX_NODE_DEFLATE=1)
//   {"event":"message","text":"..."} or {"event":"message","binary":"<base64>"}
//   {"event":"close","code":1001,"reason":"..."}
//   {"event":"error","code":"ECONNREFUSED","message":"..."}
//
// node client.js URL [MSG...]
//   Connects, sends each MSG in order (text, or binary when written "b64:<base64>"),
//   prints one message event per reply, then closes with 1000 and prints the close.
//   If the server closes first, prints its close and exits.
// node client.js --interactive URL
//   Reads commands as JSON lines on stdin: {"op":"send","text":"..."},
//   {"op":"send","binary":"<base64>"}, {"op":"close","code":1000}, {"op":"exit"}.
'use strict';

const WebSocket = require('ws');
const readline = require('readline');

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// Writes to a pipe are asynchronous in Node: exit only once all output is out.
function finish() {
  process.stdout.write('', () => process.exit(0));
}

function decodeArg(m) {
  return m.startsWith('b64:') ? Buffer.from(m.slice(4), 'base64') : m;
}

// WSX_NODE_DEFLATE=1: offer permessage-deflate (ws's default offer, every message
// compressed) and print the 101's Sec-WebSocket-Extensions in the open event.
const DEFLATE = process.env.WSX_NODE_DEFLATE === '1';

function open(url) {
  const ws = new WebSocket(url, {
    perMessageDeflate: DEFLATE ? { threshold: 0 } : false,
    maxPayload: 0,
    handshakeTimeout: 20000,
  });
  let answered = null; // the 101's Sec-WebSocket-Extensions (ws.extensions has only names)
  ws.on('upgrade', (res) => { answered = res.headers['sec-websocket-extensions'] || null; });
  ws.on('open', () => emit(DEFLATE ? { event: 'open', extensions: answered } : { event: 'open' }));
  ws.on('error', (err) => emit({ event: 'error', code: err.code || null, message: String(err.message) }));
  ws.on('close', (code, reason) => emit({ event: 'close', code, reason: reason.toString('utf8') }));
  return ws;
}

function emitMessage(data, isBinary) {
  if (isBinary) emit({ event: 'message', binary: Buffer.from(data).toString('base64') });
  else emit({ event: 'message', text: data.toString('utf8') });
}

function batch(url, messages) {
  const ws = open(url);
  let replies = 0;
  ws.on('open', () => {
    for (const m of messages) ws.send(decodeArg(m));
    if (messages.length === 0) ws.close(1000);
  });
  ws.on('message', (data, isBinary) => {
    emitMessage(data, isBinary);
    if (++replies === messages.length) ws.close(1000);
  });
  ws.on('close', finish);
}

function interactive(url) {
  const ws = open(url);
  ws.on('message', emitMessage);
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    const cmd = JSON.parse(line);
    if (cmd.op === 'send') {
      const data = cmd.binary !== undefined ? Buffer.from(cmd.binary, 'base64') : cmd.text;
      ws.send(data, (err) => err && emit({ event: 'error', code: err.code || null, message: String(err.message) }));
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
}

const args = process.argv.slice(2);
if (args[0] === '--interactive') interactive(args[1]);
else if (args.length >= 1) batch(args[0], args.slice(1));
else {
  process.stderr.write('usage: client.js URL [MSG...] | client.js --interactive URL\n');
  process.exit(2);
}
