/* security.js - security definitions at /zato/security/: the list, and a dialog to
 * create one or edit it. Editing never shows the stored secret: an empty password,
 * secret or key box keeps it, a filled one replaces it (change the password, rotate
 * the key or the JWT secret). A definition a channel uses is not deleted: the API's
 * 409 names the channels and the page shows it. */
import { get, post, put, del, qs } from './api.js';
import { h, $ } from './dom.js';
import { start, cluster } from './layout.js';
import { showMessage } from './message.js';
import { confirmDialog, openDialog } from './dialog.js';
import { clearErrors, fieldError, busy } from './form.js';
import { timeCell } from './time.js';

const LIST_MAX = 1000; /* the API's largest page; more definitions than that: search */

const TYPES = {
  basic_auth: {
    label: 'Basic Auth', secret: 'password', name: 'Password',
    help: 'A client logs in with this username and password.',
    user: 'The username a client logs in with.',
  },
  jwt: {
    label: 'JWT', secret: 'secret', name: 'Secret',
    help: 'A client logs in with a JWT (HS256) signed with this secret and not expired.',
    user: 'When set, the token\'s "sub" or "username" claim must equal it.',
  },
  apikey: {
    label: 'API key', secret: 'key', name: 'Key',
    help: 'A client logs in with this key alone.',
    user: '',
  },
};
const SECRET_HELP = {
  password: ['', 'Leave empty to keep the current password; type a new one to change it.'],
  secret: ['At least 32 bytes (RFC 7518 3.2). Generate makes a random one and shows it: copy it now, it is never shown again.',
    'Leave empty to keep the current secret; type or generate a new one (at least 32 bytes) to rotate it.'],
  key: ['', 'Leave empty to keep the current key; type a new one to rotate it.'],
};

const tbody = $('#security').tBodies[0];
const dlg = $('#security-dialog');
const form = $('#security-form');
const field = (name) => form.elements.namedItem(name);
let query = new URLSearchParams(location.search).get('query') || '';
let editing = null; /* the definition being edited, null when creating */
let highlight = '';

function td(label, content, cls = null) {
  return h('td', { 'data-label': label, class: cls }, content);
}

function row(d) {
  const edit = h('button', { type: 'button', class: 'link-button' }, 'Edit');
  edit.addEventListener('click', () => openForm(d));
  const remove = h('button', { type: 'button', class: 'link-button danger-link' }, 'Delete');
  remove.addEventListener('click', () => removeDef(d));
  return h('tr', { dataset: { name: d.name, id: d.id }, class: d.name === highlight ? 'highlight' : null },
    td('Name', h('strong', {}, d.name)),
    td('Type', (TYPES[d.type] || { label: d.type }).label),
    td('Username', d.username || h('span', { class: 'muted' }, d.type === 'apikey' ? 'none (API key)' : 'none')),
    td('Created', timeCell(d.created_at)),
    td('Updated', timeCell(d.updated_at)),
    td('', [edit, remove], 'actions'));
}

async function load() {
  try {
    const data = await get('/security' + qs({ cluster: cluster(), query, page_size: LIST_MAX }));
    const items = data.items || [];
    tbody.replaceChildren(...(items.length ? items.map(row)
      : [h('tr', { class: 'empty' }, h('td', { colspan: 6 }, 'No results'))]));
    const total = data.total || 0;
    $('#count').textContent = total > items.length
      ? `The first ${items.length} of ${total} definitions; search to narrow them down`
      : `${total} definition${total === 1 ? '' : 's'}`;
    const mark = tbody.querySelector('tr.highlight');
    if (mark) mark.scrollIntoView({ block: 'nearest' });
  } catch (e) {
    tbody.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: 6 }, 'Could not load the definitions')));
    showMessage('error', e.message);
  }
}

/* Show the fields of the chosen type; label the secret box for create or edit. */
function showType() {
  const type = field('type').value;
  const t = TYPES[type];
  $('#type-help').textContent = editing ? 'The type of a definition never changes.' : t.help;
  $('#username-field').hidden = type === 'apikey';
  $('#username-unit').hidden = type !== 'jwt';
  $('#username-help').textContent = t.user;
  for (const s of ['password', 'secret', 'key']) {
    $('#' + s + '-field').hidden = s !== t.secret;
  }
  const s = t.secret;
  $('#' + s + '-label').textContent = editing ? 'New ' + t.name.toLowerCase() : t.name;
  $('#' + s + '-help').textContent = SECRET_HELP[s][editing ? 1 : 0];
}

function dialogMessage(text) {
  const m = $('#dialog-message');
  m.className = text ? 'message message-error' : 'message';
  m.textContent = text || '';
}

function openForm(d) {
  editing = d;
  form.reset();
  clearErrors(form);
  dialogMessage('');
  busy(form, false);
  for (const s of ['password', 'secret', 'key']) field(s).type = 'password';
  $('#security-dialog-title').textContent = d ? 'Update the security definition' : 'Create a new security definition';
  $('#security-submit').textContent = d ? 'Update' : 'Create';
  field('type').disabled = !!d;
  if (d) {
    field('name').value = d.name;
    field('type').value = d.type;
    field('username').value = d.username || '';
  }
  showType();
  openDialog(dlg, field('name'));
}

function collect() {
  const type = field('type').value;
  const t = TYPES[type];
  const body = { name: field('name').value, type };
  if (type !== 'apikey') {
    const u = field('username').value;
    if (type === 'basic_auth' || u !== '') body.username = u;
    else if (editing) body.username = null; /* a jwt definition may drop its username */
  }
  const secret = field(t.secret).value;
  if (secret !== '' || !editing) body[t.secret] = secret; /* empty on edit: keep the old one */
  return body;
}

async function submit(e) {
  e.preventDefault();
  clearErrors(form);
  dialogMessage('');
  busy(form, true);
  let saved;
  try {
    const body = collect();
    saved = editing ? await put('/security/' + editing.id, body) : await post('/security', body);
  } catch (err) {
    busy(form, false);
    if (fieldError(form, err.field, err.message)) {
      const input = field(err.field);
      if (input) input.focus();
    } else {
      dialogMessage(err.message);
    }
    return;
  }
  const verb = editing ? 'updated' : 'created';
  dlg.close();
  highlight = saved.name;
  showMessage('success', ['Security definition ', { code: saved.name }, ' successfully ' + verb]);
  await load();
}

/* 32 random bytes, base64url: an HS256 key as long as the hash. */
function generateSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const b64 = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const box = field('secret');
  box.value = b64;
  box.type = 'text'; /* shown so it can be copied: the server will never show it */
  box.focus();
  box.select();
}

async function removeDef(d) {
  const ok = await confirmDialog('Delete the security definition',
    ['Are you sure you want to delete the security definition [', { code: d.name }, ']?']);
  if (!ok) return;
  try {
    await del('/security/' + d.id);
    showMessage('success', ['Security definition [', { code: d.name }, '] deleted']);
    highlight = '';
  } catch (e) {
    showMessage('error', e.message); /* 409 in_use: the message names the channels */
  }
  $('#message').focus();
  await load();
}

async function main() {
  await start('security');
  $('#query').value = query;
  $('#create').addEventListener('click', () => openForm(null));
  $('#search').addEventListener('submit', (e) => {
    e.preventDefault();
    query = $('#query').value.trim();
    const url = new URL(location.href);
    if (query) url.searchParams.set('query', query);
    else url.searchParams.delete('query');
    history.replaceState(null, '', url);
    load();
  });
  field('type').addEventListener('change', showType);
  $('#generate').addEventListener('click', generateSecret);
  $('#security-cancel').addEventListener('click', () => dlg.close());
  /* A typed secret does not stay in the page once the dialog is gone. */
  dlg.addEventListener('close', () => {
    for (const s of ['password', 'secret', 'key']) field(s).value = '';
  });
  form.addEventListener('submit', submit);
  await load();
}

main();
