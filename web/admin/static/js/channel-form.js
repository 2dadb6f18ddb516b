/* channel-form.js - the create and edit form of a WebSocket channel, one page for
 * both: /zato/channel/web-socket/create/ and /zato/channel/web-socket/edit/{id}/ (the
 * mode and id come from the path). The API checks every rule; its refusal appears
 * next to the field it names and the form keeps what was typed. On success the list
 * opens with the channel highlighted and the message shown. */
import { get, post, put, qs } from './api.js';
import { h, $ } from './dom.js';
import { start, link, cluster, PATHS } from './layout.js';
import { showMessage } from './message.js';
import { clearErrors, showApiError, busy } from './form.js';
import { parseTime, formatUtc } from './time.js';

const form = $('#channel-form');
const field = (name) => form.elements.namedItem(name);
const match = location.pathname.match(/\/edit\/(\d+)\/?$/);
const editId = match ? match[1] : null;
const DEFAULT_HOST = '127.0.0.1';

/* Address suggestion: follow the name until the user types an address of their own. */
let addressTouched = false;
let suggestedPort = null;

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9._~-]+/g, '-').replace(/^-+|-+$/g, '');
}

function suggestAddress() {
  if (addressTouched || !suggestedPort) return;
  field('address').value = `ws://${DEFAULT_HOST}:${suggestedPort}/${slug(field('name').value) || 'ws'}`;
}

/* The host of the address in the box (for the free-port question), default 127.0.0.1. */
function addressHost() {
  const m = field('address').value.match(/^wss?:\/\/(\[[^\]]+\]|[^:/]+)/i);
  return m ? m[1].replace(/^\[|\]$/g, '') : DEFAULT_HOST;
}

async function freePort() {
  const r = await get('/channels/free-port' + qs({ host: addressHost() }));
  return r && r.port;
}

/* "Suggest a free port": put a free port into the address, keeping host and path. */
async function replacePort() {
  let port;
  try {
    port = await freePort();
  } catch (e) {
    showMessage('error', 'Could not find a free port: ' + e.message);
    return;
  }
  const a = field('address');
  const m = a.value.match(/^(wss?:\/\/(?:\[[^\]]+\]|[^:/]+))(?::\d*)?(\/.*)?$/i);
  a.value = m ? `${m[1]}:${port}${m[2] || '/'}` : `ws://${DEFAULT_HOST}:${port}/${slug(field('name').value) || 'ws'}`;
  a.focus();
}

function fillSelect(select, names, current) {
  const have = new Set();
  for (const n of names) {
    select.append(h('option', { value: n }, n));
    have.add(n);
  }
  /* A channel may name a service that was undeployed since: keep it choosable. */
  if (current && !have.has(current)) {
    select.append(h('option', { value: current }, current + ' (not loaded)'));
  }
  if (current !== undefined) select.value = current || '';
}

/* The box's number, null when empty; anything else is sent as typed and the API names
 * the problem. */
function int(name) {
  const v = field(name).value.trim();
  if (v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
}

function collect() {
  const gateway = field('gateway_services').value.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    name: field('name').value,
    is_active: field('is_active').checked,
    address: field('address').value.trim(),
    service: field('service').value,
    security: field('security').value || null,
    data_format: field('data_format').value,
    new_token_wait_time: int('new_token_wait_time'),
    token_ttl: int('token_ttl'),
    ping_interval: int('ping_interval'),
    pings_missed_threshold: int('pings_missed_threshold'),
    max_message_size: int('max_message_size'),
    log_messages: int('log_messages'),
    tls_cert: field('tls_cert').value.trim() || null,
    tls_key: field('tls_key').value.trim() || null,
    permessage_deflate: field('permessage_deflate').checked,
    deflate_max_window_bits: int('deflate_max_window_bits'),
    max_connections: int('max_connections'),
    slow_consumer_policy: field('slow_consumer_policy').value,
    slow_consumer_seconds: int('slow_consumer_seconds'),
    write_queue_high_water: int('write_queue_high_water'),
    hook_service: field('hook_service').value || null,
    gateway_services: gateway,
  };
}

function fill(ch) {
  field('name').value = ch.name;
  field('is_active').checked = !!ch.is_active;
  field('permessage_deflate').checked = !!ch.permessage_deflate;
  field('address').value = ch.address;
  field('data_format').value = ch.data_format;
  field('slow_consumer_policy').value = ch.slow_consumer_policy || 'close';
  for (const k of ['new_token_wait_time', 'token_ttl', 'ping_interval', 'pings_missed_threshold',
    'max_message_size', 'log_messages', 'deflate_max_window_bits', 'max_connections',
    'slow_consumer_seconds', 'write_queue_high_water']) {
    field(k).value = ch[k];
  }
  field('gateway_services').value = (ch.gateway_services || []).join(', ');
  field('tls_cert').value = ch.tls_cert || '';
  field('tls_key').value = ch.tls_key || '';
}

async function submit(e) {
  e.preventDefault();
  if (form.getAttribute('aria-busy') === 'true') return;
  clearErrors(form);
  busy(form, true);
  let saved;
  try {
    const body = collect();
    saved = editId ? await put('/channels/' + editId, body) : await post('/channels', body);
  } catch (err) {
    busy(form, false);
    showApiError(form, err);
    return;
  }
  location.assign(link(PATHS.channels, { highlight: saved.name, msg: editId ? 'updated' : 'created' }));
}

async function main() {
  await start('channels');
  if (editId) {
    document.title = 'Update the WebSocket channel · wsx';
    $('#form-title').textContent = 'Update the WebSocket channel';
    $('#submit').textContent = 'Update';
  } else {
    document.title = 'Create a new WebSocket channel · wsx';
  }
  form.addEventListener('submit', submit);
  field('address').addEventListener('input', () => { addressTouched = true; });
  field('name').addEventListener('input', suggestAddress);
  $('#free-port').addEventListener('click', replacePort);

  try {
    const [services, defs, ch] = await Promise.all([
      get('/services'),
      get('/security' + qs({ cluster: cluster(), page_size: 1000 })),
      editId ? get('/channels/' + editId) : Promise.resolve(null),
    ]);
    const names = (services.items || []).map((s) => s.name).sort();
    fillSelect(field('service'), names, ch ? ch.service : undefined);
    fillSelect(field('hook_service'), names, ch ? ch.hook_service : undefined);
    fillSelect(field('security'), (defs.items || []).map((d) => d.name), ch ? ch.security : undefined);
    if (ch) {
      fill(ch);
      const when = (t) => (parseTime(t) ? formatUtc(parseTime(t)) : t);
      $('#form-lead').replaceChildren('Channel ', h('code', {}, ch.name), ', created ' +
        when(ch.created_at) + ', last updated ' + when(ch.updated_at) + '.');
    }
  } catch (err) {
    showMessage('error', err.message);
    if (editId) {
      form.hidden = true;
      return;
    }
  }
  busy(form, false);
  field('name').focus();
  if (!editId) {
    try {
      suggestedPort = await freePort();
      suggestAddress();
    } catch {
      /* no suggestion: the placeholder shows the form of an address */
    }
  }
}

main();
