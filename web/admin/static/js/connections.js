/* connections.js - the clients of one channel on every server of the cluster (each
 * row names its server; a server that did not answer is named under the table), at
 * /zato/channel/web-socket/{id}/connections/: search by client ID, live refresh every
 * 2 s (pausable; rows are updated in place so focus and clicks survive a refresh),
 * Disconnect after a confirmation (the client is closed with 4005) and Invoke: a
 * request sent to the client and its answer shown. */
import { get, del, post, qs } from './api.js';
import { h, $ } from './dom.js';
import { start, link, PATHS } from './layout.js';
import { showMessage } from './message.js';
import { confirmDialog, openDialog } from './dialog.js';
import { clearErrors, fieldError, busy } from './form.js';
import { timeCell, formatLocal } from './time.js';

const REFRESH_MS = 2000;
const channelId = (location.pathname.match(/\/web-socket\/(\d+)\/connections\/?$/) || [])[1];

const mono = (v) => h('span', { class: 'mono' }, v);
const sub = (v) => h('span', { class: 'sub' }, v);

/* Every field of a connection, in six columns: a value and, under it in grey, those
 * that go with it (the client's name and username, the forwarded-for, the server). */
const COLUMNS = [
  { label: 'Client ID', keys: ['ext_client_id', 'ext_client_name', 'username'], cls: 'name',
    render: (c) => [mono(c.ext_client_id), c.ext_client_name ? sub(c.ext_client_name) : null,
      c.username ? sub('username ' + c.username) : null] },
  { label: 'Public client ID', keys: ['pub_client_id'], render: (c) => mono(c.pub_client_id) },
  { label: 'Peer address', keys: ['peer_address', 'peer_forwarded_for'],
    render: (c) => [mono(c.peer_address),
      c.peer_forwarded_for ? sub('forwarded for ' + c.peer_forwarded_for) : null] },
  { label: 'Local address', keys: ['local_address', 'server_name'],
    render: (c) => [mono(c.local_address), c.server_name ? sub('server ' + c.server_name) : null] },
  { label: 'Connected', keys: ['connection_time'], render: (c) => timeCell(c.connection_time) },
  { label: 'Last seen', keys: ['last_seen'], render: (c) => timeCell(c.last_seen) },
];

const tbody = $('#connections').tBodies[0];
const rows = new Map(); /* pub_client_id -> {tr, cells, conn} */
let query = new URLSearchParams(location.search).get('query') || '';
let loading = false;
let timer = null;

/* A client as people name it: its client ID, else its public id. */
const who = (c) => c.ext_client_id || c.pub_client_id;

function makeRow(c) {
  const cells = COLUMNS.map((col) => h('td', { 'data-label': col.label, class: col.cls || null }));
  const r = { tr: null, cells, conn: c };
  const invoke = h('button', { type: 'button', class: 'link-button' }, 'Invoke');
  invoke.addEventListener('click', () => openInvoke(r.conn));
  const disconnect = h('button', { type: 'button', class: 'link-button danger-link' }, 'Disconnect');
  disconnect.addEventListener('click', () => disconnectClient(r.conn));
  r.tr = h('tr', { dataset: { pubClientId: c.pub_client_id, extClientId: c.ext_client_id } },
    cells, h('td', { class: 'actions' }, h('div', { class: 'stack' }, invoke, disconnect)));
  return r;
}

/* Refresh the cells whose values changed, nothing else. */
function updateRow(r, c) {
  r.conn = c;
  COLUMNS.forEach((col, i) => {
    const v = col.keys.map((k) => (c[k] === null || c[k] === undefined ? '' : String(c[k]))).join('\n');
    const td = r.cells[i];
    if (td.dataset.value === v) return;
    td.dataset.value = v;
    td.replaceChildren(...[col.render(c)].flat().filter((x) => x !== null));
  });
}

function render(data) {
  const items = data.items || [];
  let prev = null;
  const seen = new Set();
  for (const old of tbody.querySelectorAll('tr.empty')) old.remove();
  for (const c of items) {
    let r = rows.get(c.pub_client_id);
    if (!r) {
      r = makeRow(c);
      rows.set(c.pub_client_id, r);
    }
    updateRow(r, c);
    seen.add(c.pub_client_id);
    const want = prev ? prev.nextSibling : tbody.firstChild;
    if (want !== r.tr) tbody.insertBefore(r.tr, want);
    prev = r.tr;
  }
  for (const [pub, r] of rows) {
    if (!seen.has(pub)) {
      r.tr.remove();
      rows.delete(pub);
    }
  }
  if (!items.length) {
    tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: COLUMNS.length + 1 },
      query ? 'No results' : 'No connections to this channel')));
  }
  /* the servers that did not answer: their clients are missing from the list */
  const silent = (data.servers || []).filter((s) => !s.ok);
  const note = $('#servers-note');
  note.hidden = !silent.length;
  note.replaceChildren(...(silent.length ? ['Not listed: the clients of ',
    ...silent.flatMap((s, i) => [i ? ', ' : '', h('code', {}, s.name), ` (${s.error})`]),
    ', which did not answer.'] : []));
  const n = data.total ?? items.length;
  $('#count').textContent = `${n} connection${n === 1 ? '' : 's'}`;
  $('#refreshed').textContent = 'Refreshed ' + formatLocal(new Date());
}

async function load() {
  if (loading) return;
  loading = true;
  try {
    render(await get(`/channels/${channelId}/connections` + qs({ query })));
  } catch (e) {
    showMessage('error', e.message);
    if (e.status === 404) stopLive(); /* the channel is gone: nothing more to see */
  } finally {
    loading = false;
  }
}

function tick() {
  if (!document.hidden) load();
}

function startLive() {
  if (!timer) timer = setInterval(tick, REFRESH_MS);
}

function stopLive() {
  clearInterval(timer);
  timer = null;
  $('#live').checked = false;
}

async function disconnectClient(c) {
  const ok = await confirmDialog('Disconnect the client',
    ['Are you sure you want to disconnect the client [', { code: who(c) }, ']?']);
  if (!ok) return;
  try {
    await del('/connections/' + encodeURIComponent(c.pub_client_id));
    showMessage('success', ['Client [', { code: who(c) }, '] disconnected (close code 4005)']);
  } catch (e) {
    showMessage('error', e.message);
  }
  $('#message').focus();
  await load();
}

/* The invoke dialog: one at a time; an answer that arrives after it closed, or for
 * another client, is dropped. */
const dlg = $('#invoke-dialog');
const iform = $('#invoke-form');
let target = null;
let attempt = 0;

function invokeStatus(kind, text) {
  const s = $('#invoke-status');
  s.className = kind === 'error' ? 'message message-error' : kind === 'ok' ? 'message message-success' : 'muted';
  s.textContent = text;
}

function openInvoke(c) {
  target = c;
  attempt++;
  clearErrors(iform);
  busy(iform, false);
  $('#invoke-title').replaceChildren('Invoke the client ', h('code', {}, who(c)));
  $('#invoke-who').textContent = `Public client ID ${c.pub_client_id}` +
    (c.ext_client_name ? `, name ${c.ext_client_name}` : '');
  invokeStatus('', '');
  $('#invoke-answer').hidden = true;
  $('#invoke-response').textContent = '';
  openDialog(dlg, $('#request'));
}

/* JSON when the text parses, else the text itself as a string. */
function requestValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function sendInvoke(e) {
  e.preventDefault();
  if (!target) return;
  const mine = ++attempt;
  clearErrors(iform);
  const t = $('#timeout').value.trim();
  const body = { request: requestValue($('#request').value) };
  if (t !== '') body.timeout = Number.isFinite(Number(t)) ? Number(t) : t;
  $('#invoke-answer').hidden = true;
  invokeStatus('', `Waiting up to ${t || 5} s for the client's answer…`);
  busy(iform, true);
  const began = performance.now();
  try {
    const r = await post('/connections/' + encodeURIComponent(target.pub_client_id) + '/invoke', body);
    if (mine !== attempt) return;
    const ms = Math.round(performance.now() - began);
    invokeStatus('ok', `The client answered in ${ms} ms.`);
    $('#invoke-response').textContent = JSON.stringify(r.response, null, 2);
    $('#invoke-answer').hidden = false;
  } catch (err) {
    if (mine !== attempt) return;
    if (fieldError(iform, err.field, err.message)) {
      invokeStatus('', '');
    } else {
      const why = err.status === 504 ? 'No answer in time: '
        : err.status === 410 ? 'The connection closed first: ' : '';
      invokeStatus('error', why + err.message);
    }
  } finally {
    if (mine === attempt) busy(iform, false);
  }
}

async function main() {
  await start('channels');
  $('#query').value = query;
  try {
    const ch = await get('/channels/' + channelId);
    document.title = `Connections of ${ch.name} · wsx`;
    $('#page-title').replaceChildren('Connections of ', h('code', {}, ch.name));
    $('#page-lead').replaceChildren('The clients logged in to ', h('span', { class: 'mono' }, ch.address),
      ' on every server of the cluster. ', h('a', { href: link(PATHS.edit(ch.id)) }, 'Edit the channel'));
  } catch (e) {
    showMessage('error', e.message);
    tbody.replaceChildren();
    $('#live').disabled = true;
    return;
  }
  $('#search').addEventListener('submit', (e) => {
    e.preventDefault();
    query = $('#query').value.trim();
    history.replaceState(null, '', link(PATHS.connections(channelId), { query }));
    load();
  });
  $('#live').addEventListener('change', (e) => (e.target.checked ? startLive() : stopLive()));
  iform.addEventListener('submit', sendInvoke);
  $('#invoke-close').addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => { attempt++; target = null; });
  await load();
  if ($('#live').checked) startLive();
}

main();
