// admin.test.js - the web admin in a real browser (Debian's Chromium, driven by
// playwright-core), going through the "Done when" of issue 4 as a person would, against
// a real `wsx server` and a real WebSocket client speaking the WSX session protocol.
// Writes the README's screenshots to docs/screenshots/. Run: `make e2e` (or
// `node --test tests/e2e/`); WSX_BIN picks the binary.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { before, after } = require('node:test');

const { WsxServer, ADMIN_USER, ADMIN_PASSWORD, ROOT } = require('./lib/server');
const { launch } = require('./lib/browser');
const { connect, connectError } = require('./lib/wsx_client');
const { makeStep } = require('./lib/steps');
const { waitFor, field, control, expectText, answerDialog, assertOnScreen, bodyText } = require('./lib/ui');

const SHOTS = path.join(ROOT, 'docs', 'screenshots');
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const LIST = '/zato/channel/web-socket/?cluster=1';
const CREATE = '/zato/channel/web-socket/create/?cluster=1';
const SECURITY = '/zato/security/?cluster=1';

const ORDERS = 'e2e-orders';     // the channel created, edited and deleted in the form
const DUP = 'e2e-duplicate';     // the one refused for its port
const SECURED = 'e2e-secured';   // the json channel with a basic_auth login
const SECDEF = 'e2e-login';      // its security definition
const SEC_USER = 'alice';
const SEC_PASSWORD = 'correct horse battery staple';

let srv = null;
let br = null;
let page = null;
const state = {}; // what the steps hand on to each other

const step = makeStep({ page: () => page, server: () => srv });

before(async () => {
  srv = new WsxServer();
  await srv.start();
  br = await launch({ viewport: LAPTOP });
  page = br.context.pages()[0] || await br.context.newPage();
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  for (const c of [state.client, state.secured]) if (c) c.terminate();
  if (br) await br.close();
  if (srv) {
    await srv.stop();
    srv.cleanup();
  }
});

const url = (p) => srv.url + p;
const rowOf = (name) => page.locator(`#channels tr[data-name="${name}"]`);

// Every page of the admin, as a person would type or bookmark it.
function allPages() {
  const id = state.ordersId || 1;
  return [LIST, CREATE, `/zato/channel/web-socket/edit/${id}/?cluster=1`,
    `/zato/channel/web-socket/${id}/connections/?cluster=1`, SECURITY, '/zato/servers/?cluster=1',
    '/zato/account/password/'];
}

// Every kind of admin API call, each of which needs a login.
function allApiCalls() {
  const id = state.ordersId || 1;
  const body = JSON.stringify({ name: 'nobody', address: 'ws://127.0.0.1:1/x', service: 'demo.echo' });
  return [['GET', '/api/v1/channels?cluster=1'], ['POST', '/api/v1/channels', body],
    ['GET', `/api/v1/channels/${id}`], ['PUT', `/api/v1/channels/${id}`, body],
    ['PATCH', `/api/v1/channels/${id}`, '{"is_active": false}'], ['DELETE', `/api/v1/channels/${id}`],
    ['GET', '/api/v1/channels/free-port?host=127.0.0.1'],
    ['GET', `/api/v1/channels/${id}/connections`], ['POST', `/api/v1/channels/${id}/broadcast`, '{"data": 1}'],
    ['DELETE', '/api/v1/connections/ws.000000000000000000000000'],
    ['POST', '/api/v1/connections/ws.000000000000000000000000/invoke', '{"request": 1}'],
    ['GET', '/api/v1/security'], ['POST', '/api/v1/security', '{"name": "x", "type": "apikey", "key": "k"}'],
    ['GET', '/api/v1/security/1'], ['DELETE', '/api/v1/security/1'], ['GET', '/api/v1/services'],
    ['GET', '/api/v1/session'], ['PUT', '/api/v1/session/password', '{"current_password": "a", "new_password": "bbbbbbbbbb"}'],
    ['GET', '/api/v1/server']];
}

// Logged out: each page ends on the login form with next= the page asked for, and
// each API call, made by the page's own fetch, answers 401.
async function assertLoggedOut() {
  for (const p of allPages()) {
    await page.goto(url(p));
    const u = new URL(page.url());
    assert.equal(u.pathname, '/zato/login', `${p} should redirect to the login, went to ${page.url()}`);
    assert.equal(u.searchParams.get('next'), p, `the login's next= for ${p}`);
  }
  await field(page, 'Username').waitFor();
  await field(page, 'Password').waitFor();
  const answers = await page.evaluate(async (calls) => {
    const out = [];
    for (const [method, p, body] of calls) {
      const r = await fetch(p, { method, body, headers: body ? { 'Content-Type': 'application/json' } : {} });
      out.push(`${method} ${p} -> ${r.status}`);
    }
    return out;
  }, allApiCalls());
  const wrong = answers.filter((a) => !a.endsWith('-> 401'));
  assert.deepEqual(wrong, [], 'every API call must answer 401 when logged out');
}

// Opens the create form from the list, as a person does.
async function openCreateForm() {
  await page.goto(url(LIST));
  await control(page, 'Create a new WebSocket channel').click();
  await field(page, 'Name').waitFor();
}

// Opens the edit form of channel `name` from its row in the list.
async function openEditForm(name) {
  await page.goto(url(LIST));
  await control(rowOf(name), 'Edit').click();
  await waitFor(async () => (await field(page, 'Name').inputValue()) === name,
    `the edit form of ${name}, with its name filled in`);
}

// Submits the channel or definition form with Enter in its Name field (the keyboard way).
async function submitForm() {
  await field(page, 'Name').press('Enter');
}

// The port of the form's suggested Address; checks the suggestion is a ws:// address.
async function suggestedPort() {
  const v = await waitFor(async () => field(page, 'Address').inputValue(), 'a suggested Address');
  const m = v.match(/^ws:\/\/127\.0\.0\.1:(\d+)(\/|$)/);
  assert.ok(m, `the suggested Address should be ws://127.0.0.1:PORT/..., is ${JSON.stringify(v)}`);
  return Number(m[1]);
}

// A logged-in WSX client on wsUrl with `opts` for create-session; asserts the login and
// one echo.
async function loggedInClient(wsUrl, opts) {
  const c = await connect(wsUrl);
  const reply = await c.login(opts);
  assert.equal(reply.meta.msg_type, 'zwsx.rspa', `create-session answer: ${JSON.stringify(reply)}`);
  assert.match(reply.data.token, /^zwsxt\.[0-9a-f]{32}$/);
  const echo = await c.invoke({ hello: 'from e2e' });
  assert.equal(echo.meta.msg_type, 'zwsx.rspok', `invoke answer: ${JSON.stringify(echo)}`);
  assert.deepEqual(echo.data, { hello: 'from e2e' });
  return c;
}

async function screenshot(name) {
  await page.screenshot({ path: path.join(SHOTS, name) });
}

// ----------------------------------------------------------------------------- steps

step('logged out, every page redirects to the login and every API call answers 401', async () => {
  await assertLoggedOut();
  await page.goto(url('/zato/channel/wsx/?cluster=1'));
  assert.equal(new URL(page.url()).pathname, '/zato/login', '/zato/channel/wsx/ should end on the login too');
});

step('log in: a wrong password is refused on the page, the right one opens the channels list', async () => {
  await page.goto(url(LIST));
  await field(page, 'Username').fill(ADMIN_USER);
  await field(page, 'Password').fill('not-the-password');
  await field(page, 'Password').press('Enter');
  await expectText(page.locator('body'), /wrong username or password/i, 'the login page');
  assert.equal(new URL(page.url()).pathname, '/zato/login');

  await field(page, 'Password').fill(ADMIN_PASSWORD);
  await field(page, 'Password').press('Enter');
  await page.waitForURL(url(LIST));
  await page.locator('#channels').waitFor();
  await control(page, 'Log out').waitFor();
  const cookie = (await br.context.cookies(srv.url)).find((c) => c.name === 'wsx_session');
  assert.ok(cookie, 'a wsx_session cookie after the login');
  assert.equal(cookie.httpOnly, true, 'the session cookie is HttpOnly');
  assert.equal(cookie.sameSite, 'Strict', 'the session cookie is SameSite=Strict');
  state.cookie = cookie;

  await page.goto(url('/zato/channel/wsx/?cluster=1'));
  assert.equal(page.url(), url(LIST), '/zato/channel/wsx/ redirects to the channels list');
});

step('create a channel in the form, then a real WebSocket client connects to it', async () => {
  await openCreateForm();
  assert.equal(await field(page, 'Active').isChecked(), true, 'Active is checked by default');
  const port = await suggestedPort();
  state.ordersUrl = `ws://127.0.0.1:${port}/orders`;
  for (const [label, v] of [['New token wait time', '5'], ['Token TTL', '3600'], ['Ping interval', '45'],
    ['Pings missed threshold', '2'], ['Max connections', '0'], ['Write queue high-water mark', '4194304'],
    ['Slow consumer policy', 'close'], ['Slow consumer time', '10']]) {
    assert.equal(await field(page, label).inputValue(), v, `${label} defaults to ${v}`);
  }
  const sec = field(page, 'Security definition');
  assert.equal((await sec.locator('option:checked').textContent()).trim(), 'No security definition');

  await field(page, 'Name').fill(ORDERS);
  await field(page, 'Address').fill(state.ordersUrl);
  await field(page, 'Service').selectOption('demo.echo');
  await field(page, 'Data format').selectOption('json');
  await submitForm();
  await expectText(page.locator('#message'), `WebSocket channel ${ORDERS} successfully created`, '#message');
  await expectText(page.locator('#message code'), ORDERS, 'the name in <code> in #message');

  const ch = await srv.channelByName(ORDERS);
  assert.ok(ch, `the API lists ${ORDERS}`);
  state.ordersId = ch.id;
  assert.equal(ch.address, state.ordersUrl);
  assert.equal(ch.data_format, 'json');
  assert.equal(ch.is_active, true);

  await page.goto(url(LIST));
  for (const t of ['Yes', state.ordersUrl, 'demo.echo', 'listening']) {
    await expectText(rowOf(ORDERS), t, `the row of ${ORDERS}`);
  }
  state.client = await loggedInClient(state.ordersUrl, { clientId: 'e2e-client-1' });
});

step('a duplicate port shows the error next to Address, and the form keeps what was typed', async () => {
  await openCreateForm();
  const port = new URL(state.ordersUrl.replace('ws:', 'http:')).port;
  const typedAddress = `ws://127.0.0.1:${port}/duplicate`;
  await field(page, 'Name').fill(DUP);
  await field(page, 'Address').fill(typedAddress);
  await field(page, 'Service').selectOption('demo.echo');
  await field(page, 'Data format').selectOption('raw');
  await submitForm();

  const err = page.locator('#address-error');
  await expectText(err, port, '#address-error');
  await expectText(err, ORDERS, '#address-error (naming the channel that has the port)');
  assert.equal(await err.getAttribute('role'), 'alert');
  const box = await field(page, 'Address').boundingBox();
  const errBox = await err.boundingBox();
  const gap = Math.max(errBox.y - (box.y + box.height), box.y - (errBox.y + errBox.height), 0);
  assert.ok(gap <= 60, `the error should be next to the Address field, it is ${gap} px away`);
  assert.equal(await field(page, 'Name').inputValue(), DUP, 'the form keeps the typed Name');
  assert.equal(await field(page, 'Address').inputValue(), typedAddress, 'the form keeps the typed Address');
  assert.equal(await field(page, 'Data format').inputValue(), 'raw', 'the form keeps the chosen Data format');
  await screenshot('channel-create-error.png');
  assert.equal(await srv.channelByName(DUP), null, `${DUP} must not have been created`);
});

step('edit the channel to inactive: the client is closed and a new connection is refused', async () => {
  await openEditForm(ORDERS);
  await field(page, 'Active').uncheck();
  await submitForm();
  await expectText(page.locator('#message'), `WebSocket channel ${ORDERS} successfully updated`, '#message');
  const closed = await state.client.closeInfo();
  assert.equal(closed.code, 1001, 'a client of a channel made inactive is closed with 1001');
  state.client = null;
  assert.equal(await connectError(state.ordersUrl), 'ECONNREFUSED', 'an inactive channel refuses connections');
  await page.goto(url(LIST));
  await expectText(rowOf(ORDERS), 'No', `the row of ${ORDERS}`);
  await expectText(rowOf(ORDERS), 'inactive', `the row of ${ORDERS}`);
});

step('edit it to active again: the client connects and logs in', async () => {
  await openEditForm(ORDERS);
  assert.equal(await field(page, 'Active').isChecked(), false, 'the edit form shows the channel inactive');
  await field(page, 'Active').check();
  await submitForm();
  await expectText(page.locator('#message'), `WebSocket channel ${ORDERS} successfully updated`, '#message');
  state.client = await loggedInClient(state.ordersUrl, { clientId: 'e2e-client-2', clientName: 'the e2e test' });
  await page.goto(url(LIST));
  await expectText(rowOf(ORDERS), 'listening', `the row of ${ORDERS}`);
});

step('the connections page lists the live client', async () => {
  await page.goto(url(LIST));
  await control(rowOf(ORDERS), 'Connections').click();
  await page.waitForURL(url(`/zato/channel/web-socket/${state.ordersId}/connections/?cluster=1`));
  const r = await srv.api('GET', `/api/v1/channels/${state.ordersId}/connections`);
  assert.equal(r.status, 200);
  assert.equal(r.json.items.length, 1, `one connection: ${r.text}`);
  state.pubClientId = r.json.items[0].pub_client_id;
  await expectText(page.locator('body'), 'e2e-client-2', 'the connections page');
  await expectText(page.locator('body'), state.pubClientId, 'the connections page');
  await expectText(page.locator('body'), 'UTC', 'the connections page (connection time in UTC)');
  const row = page.locator(`#connections tr[data-pub-client-id="${state.pubClientId}"]`);
  for (const b of ['Invoke', 'Disconnect']) {
    await assertOnScreen(page, control(row, b), `the "${b}" button of the client's row on a ${LAPTOP.width} px laptop screen`);
  }
  await screenshot('connections.png');
});

step('Invoke sends the request to the client and shows its answer', async () => {
  state.client.answer = (data) => ({ answer: 42, got: data });
  await control(page, 'Invoke').first().click();
  await field(page, 'Request').fill('{"question": "the meaning"}');
  assert.equal(await field(page, 'Timeout').inputValue(), '5', 'the invoke timeout defaults to 5');
  const box = page.locator('form, dialog[open]').filter({ has: field(page, 'Request') }).last();
  await control(box, 'Invoke').click();
  await expectText(page.locator('body'), /"?answer"?\s*:\s*42/, 'the page, with the client\'s answer');
  const rq = state.client.requests.at(-1);
  assert.deepEqual(rq && rq.data, { question: 'the meaning' }, 'a request that parses is sent as JSON');
});

step('Disconnect, confirmed, closes the client with 4005', async () => {
  await page.keyboard.press('Escape'); // leave the invoke box, if it is a dialog
  await control(page, 'Disconnect').first().click();
  await control(page.locator('dialog[open]'), 'OK').click();
  const closed = await state.client.closeInfo();
  assert.equal(closed.code, 4005, 'closed by an administrator: 4005');
  state.client = null;
  await waitFor(async () => !(await bodyText(page)).includes(state.pubClientId),
    'the disconnected client to leave the connections page', { timeout: 15000 });
});

step('a security definition created in its page is used for a login', async () => {
  await page.goto(url(SECURITY));
  await control(page, 'Create a new security definition').click();
  await field(page, 'Name').fill(SECDEF);
  await field(page, 'Type').selectOption('basic_auth');
  await field(page, 'Username').fill(SEC_USER);
  await field(page, 'Password').fill(SEC_PASSWORD);
  await submitForm();
  await expectText(page.locator('#message'), `Security definition ${SECDEF} successfully created`, '#message');
  await page.goto(url(SECURITY));
  await expectText(page.locator('body'), SECDEF, 'the security definitions list');
  assert.ok(!(await page.content()).includes(SEC_PASSWORD), 'the password is never shown');

  await openCreateForm();
  const port = await suggestedPort();
  state.securedUrl = `ws://127.0.0.1:${port}/secured`;
  await field(page, 'Name').fill(SECURED);
  await field(page, 'Address').fill(state.securedUrl);
  await field(page, 'Service').selectOption('demo.echo');
  await field(page, 'Security definition').selectOption({ label: SECDEF });
  await field(page, 'Data format').selectOption('json');
  await submitForm();
  await expectText(page.locator('#message'), `WebSocket channel ${SECURED} successfully created`, '#message');
  await expectText(rowOf(SECURED), SECDEF, `the row of ${SECURED}`);
  assert.match(await rowOf(SECURED).getAttribute('class') || '', /\bhighlight\b/, 'the new row is highlighted');
  await screenshot('channels.png');

  const bad = await connect(state.securedUrl);
  const refused = await bad.login({ username: SEC_USER, secret: 'wrong password' });
  assert.equal(refused.meta.msg_type, 'zwsx.merr', `a wrong password: ${JSON.stringify(refused)}`);
  assert.equal((await bad.closeInfo()).code, 1008);
  state.secured = await loggedInClient(state.securedUrl, { username: SEC_USER, secret: SEC_PASSWORD });
});

step('the channels list on a phone', async () => {
  await page.setViewportSize(PHONE);
  try {
    await page.goto(url(LIST));
    await rowOf(SECURED).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways on a phone by ${overflow} px`);
    await screenshot('channels-phone.png');
  } finally {
    await page.setViewportSize(LAPTOP);
  }
});

step('the Servers page lists the cluster, this server up', async () => {
  await page.goto(url('/zato/servers/?cluster=1'));
  const rows = page.locator('#servers tbody tr[data-name]');
  await waitFor(async () => (await rows.count()) >= 1, 'a row on the Servers page');
  const text = await rows.first().innerText();
  assert.match(text, /\bup\b/, `the server's row: ${text}`);
  assert.match(text, /127\.0\.0\.1:\d+/, `the row names the admin address: ${text}`);
});

step('delete the channel with the confirmation: Cancel keeps it, OK deletes it, clients are refused', async () => {
  await page.goto(url(LIST));
  const question = `Are you sure you want to delete the WebSocket channel [${ORDERS}]?`;
  await control(rowOf(ORDERS), 'Delete').click();
  await answerDialog(page, question, 'Cancel');
  assert.ok(await srv.channelByName(ORDERS), 'Cancel keeps the channel');
  assert.equal(await connectError(state.ordersUrl), null, 'after Cancel the channel still accepts clients');

  await control(rowOf(ORDERS), 'Delete').click();
  await answerDialog(page, question, 'OK');
  await expectText(page.locator('#message'), `WebSocket channel [${ORDERS}] deleted`, '#message');
  await waitFor(async () => (await rowOf(ORDERS).count()) === 0, `the row of ${ORDERS} to go`);
  assert.equal(await srv.channelByName(ORDERS), null, 'the API no longer lists it');
  assert.equal(await connectError(state.ordersUrl), 'ECONNREFUSED', 'a deleted channel refuses connections');
});

step('a state-changing request without the CSRF token is refused with 403', async () => {
  const secured = await srv.channelByName(SECURED);
  const port = new URL(state.securedUrl.replace('ws:', 'http:')).port;
  const out = await page.evaluate(async ({ id, port }) => {
    const body = JSON.stringify({ name: 'e2e-csrf', address: `ws://127.0.0.1:${Number(port) + 1}/csrf`,
      service: 'demo.echo', data_format: 'raw', is_active: false });
    const json = { 'Content-Type': 'application/json' };
    const post = await fetch('/api/v1/channels', { method: 'POST', headers: json, body });
    const del = await fetch(`/api/v1/channels/${id}`, { method: 'DELETE' });
    const wrong = await fetch(`/api/v1/channels/${id}`, { method: 'DELETE', headers: { 'X-CSRF-Token': 'not-the-token' } });
    const session = await (await fetch('/api/v1/session')).json();
    const withToken = await fetch('/api/v1/channels', { method: 'POST', headers: { ...json, 'X-CSRF-Token': session.csrf_token }, body });
    const created = await withToken.json();
    return { post: [post.status, await post.json()], del: del.status, wrong: wrong.status,
      withToken: withToken.status, createdId: created.id };
  }, { id: secured.id, port });
  assert.equal(out.post[0], 403, 'POST without X-CSRF-Token');
  assert.equal(out.post[1].error && out.post[1].error.code, 'csrf');
  assert.equal(out.del, 403, 'DELETE without X-CSRF-Token');
  assert.equal(out.wrong, 403, 'DELETE with a wrong X-CSRF-Token');
  assert.ok(await srv.channelByName(SECURED), 'the refused DELETE deleted nothing');
  assert.equal(out.withToken, 201, 'the same POST with the session\'s token is accepted');
  assert.equal((await srv.api('DELETE', `/api/v1/channels/${out.createdId}`)).status, 204);
});

step('log out: every page redirects to the login, every API call answers 401, the old cookie is dead', async () => {
  await page.goto(url(LIST));
  await control(page, 'Log out').click();
  await page.waitForURL((u) => u.pathname === '/zato/login');
  const left = (await br.context.cookies(srv.url)).find((c) => c.name === 'wsx_session' && c.value);
  assert.equal(left, undefined, 'the session cookie is cleared');
  await assertLoggedOut();
  const r = await fetch(url('/api/v1/channels?cluster=1'), { headers: { Cookie: `wsx_session=${state.cookie.value}` } });
  assert.equal(r.status, 401, 'the logged-out session is invalid on the server too');
});

step('the pages asked no host but the server, and raised no error', async () => {
  const origin = new URL(srv.url).origin;
  const foreign = br.requests.filter((u) => !/^(data|blob):/.test(u) && new URL(u).origin !== origin);
  assert.deepEqual([...new Set(foreign)], [], 'requests to another host');
  assert.ok(br.requests.length > 20, `the run recorded only ${br.requests.length} requests`);
  assert.deepEqual(br.problems, [], 'console errors, page errors or failed requests');
});

step('the server stops cleanly (no leak or sanitizer report)', async () => {
  for (const k of ['client', 'secured']) if (state[k]) state[k].terminate();
  const rc = await srv.stop();
  assert.equal(rc, 0, `wsx server exited with ${rc}:\n${srv.log().slice(-4000)}`);
});
