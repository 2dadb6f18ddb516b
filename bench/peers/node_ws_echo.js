// node_ws_echo.js - a minimal Node `ws` echo server, one of the peers `bench/run`
// measures wsx against. Listens on 127.0.0.1:PORT and sends every text or binary
// message back as it came (same type). Run: node bench/peers/node_ws_echo.js PORT
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node_ws_echo.js PORT');
  process.exit(2);
}

// A listen backlog like the other servers' (Node's default is 511), so a burst of
// connects is not slowed by SYN retransmits.
const wss = new WebSocketServer({ host: '127.0.0.1', port, backlog: 4096, perMessageDeflate: false });

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {}); // a client that vanishes is not the server's problem
});
wss.on('listening', () => console.log(`node_ws_echo: listening on 127.0.0.1:${port}`));
wss.on('error', (err) => {
  console.error(`node_ws_echo: ${err.message}`);
  process.exit(1);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
