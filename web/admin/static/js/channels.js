/* channels.js - the channels list at /zato/channel/web-socket/?cluster=1: search with
 * the API's query rules, 50 a page, the row just created or edited highlighted
 * (?highlight=NAME&msg=created|updated, set by the form), Delete after a confirmation.
 * The URL holds query and page, so reload and Back show the same list. */
import { get, del, qs } from './api.js';
import { h, $ } from './dom.js';
import { start, link, cluster, PATHS } from './layout.js';
import { showMessage } from './message.js';
import { confirmDialog } from './dialog.js';

const PAGE_SIZE = 50;
const SCAN_SIZE = 1000; /* the API's largest page, to find which page a name is on */

const table = $('#channels');
const tbody = table.tBodies[0];
let state = { query: '', page: 1, highlight: '' };

function fromUrl() {
  const p = new URLSearchParams(location.search);
  const page = parseInt(p.get('page') || '1', 10);
  return { query: p.get('query') || '', page: page > 0 ? page : 1, highlight: p.get('highlight') || '' };
}

function toUrl(push) {
  const url = link(PATHS.channels, {
    query: state.query,
    page: state.page > 1 ? state.page : '',
    highlight: state.highlight,
  });
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

const listPath = (page, size) =>
  '/channels' + qs({ cluster: cluster(), query: state.query, page, page_size: size });

function td(label, content, cls = null) {
  return h('td', { 'data-label': label, class: cls }, content);
}

function stateBadge(s) {
  const text = s || 'unknown';
  const kind = text.startsWith('error') ? 'error' : text === 'listening' ? 'listening'
    : text === 'inactive' ? 'inactive' : 'other';
  return h('span', { class: 'state state-' + kind }, text);
}

/* One badge with this server's state, or, in a cluster, one per server
 * ("name: state"), so an operator sees which server failed to bind. */
function states(ch) {
  const all = ch.states || [];
  if (all.length <= 1) return stateBadge(ch.state);
  return h('ul', { class: 'states' }, all.map((s) =>
    h('li', {}, h('span', { class: 'server-name' }, s.server + ': '), stateBadge(s.state))));
}

function row(ch) {
  const delButton = h('button', { type: 'button', class: 'link-button danger-link' }, 'Delete');
  delButton.addEventListener('click', () => remove(ch));
  return h('tr', { dataset: { name: ch.name, id: ch.id },
    class: state.highlight && ch.name === state.highlight ? 'highlight' : null },
  td('Name', h('strong', {}, ch.name), 'name'),
  td('Active', ch.is_active ? h('span', { class: 'yes' }, 'Yes') : h('span', { class: 'no' }, 'No')),
  td('Address', h('span', { class: 'address mono' }, ch.address)),
  td('Service', ch.service),
  td('Security definition', ch.security ? ch.security
    : h('span', { class: 'muted' }, 'None')),
  td('New token wait time', String(ch.new_token_wait_time), 'num'),
  td('Token TTL', String(ch.token_ttl), 'num'),
  td('State', states(ch)),
  td('', [
    h('a', { href: link(PATHS.connections(ch.id)) }, 'Connections'),
    h('a', { href: link(PATHS.edit(ch.id)) }, 'Edit'),
    delButton,
  ], 'actions'));
}

function render(data) {
  const items = data.items || [];
  tbody.replaceChildren(...(items.length ? items.map(row)
    : [h('tr', { class: 'empty' }, h('td', { colspan: 9 }, 'No results'))]));
  const total = data.total || 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const first = (state.page - 1) * PAGE_SIZE + 1;
  $('#count').textContent = total === 0 ? 'No channels'
    : `${first}–${first + items.length - 1} of ${total} channel${total === 1 ? '' : 's'}`;
  $('#page-info').textContent = `Page ${state.page} of ${pages}`;
  $('#prev').disabled = state.page <= 1;
  $('#next').disabled = state.page >= pages;
  const mark = tbody.querySelector('tr.highlight');
  if (mark) mark.scrollIntoView({ block: 'nearest' });
}

/* The page (of PAGE_SIZE) holding channel `name` under the current query, or 0. The
 * list is ordered by name, so its index in the big pages gives the small page. */
async function pageOf(name) {
  for (let p = 1; ; p++) {
    const data = await get(listPath(p, SCAN_SIZE));
    const i = (data.items || []).findIndex((c) => c.name === name);
    if (i >= 0) return Math.floor(((p - 1) * SCAN_SIZE + i) / PAGE_SIZE) + 1;
    if (p * SCAN_SIZE >= (data.total || 0)) return 0;
  }
}

async function load({ findHighlight = false } = {}) {
  try {
    let data = await get(listPath(state.page, PAGE_SIZE));
    if (findHighlight && state.highlight && !data.items.some((c) => c.name === state.highlight)) {
      const p = await pageOf(state.highlight);
      if (p && p !== state.page) {
        state.page = p;
        toUrl(false);
        data = await get(listPath(state.page, PAGE_SIZE));
      }
    }
    /* Past the last page (after deletes, or a hand-typed URL): show the last one. */
    if (!data.items.length && data.total > 0 && state.page > 1) {
      state.page = Math.ceil(data.total / PAGE_SIZE);
      toUrl(false);
      data = await get(listPath(state.page, PAGE_SIZE));
    }
    render(data);
  } catch (e) {
    tbody.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: 9 }, 'Could not load the channels')));
    showMessage('error', e.message);
  }
}

async function remove(ch) {
  const ok = await confirmDialog('Delete the WebSocket channel',
    ['Are you sure you want to delete the WebSocket channel [', { code: ch.name }, ']?']);
  if (!ok) return;
  try {
    await del('/channels/' + ch.id);
  } catch (e) {
    showMessage('error', e.message);
    return;
  }
  showMessage('success', ['WebSocket channel [', { code: ch.name }, '] deleted']);
  $('#message').focus();
  await load();
}

async function main() {
  await start('channels');
  state = fromUrl();
  $('#query').value = state.query;

  const msg = new URLSearchParams(location.search).get('msg');
  if (state.highlight && (msg === 'created' || msg === 'updated')) {
    showMessage('success', ['WebSocket channel ', { code: state.highlight }, ' successfully ' + msg]);
  }
  toUrl(false); /* drop msg: a reload should not announce it again */

  $('#search').addEventListener('submit', (e) => {
    e.preventDefault();
    state = { query: $('#query').value.trim(), page: 1, highlight: '' };
    toUrl(true);
    load();
  });
  $('#prev').addEventListener('click', () => { state.page--; toUrl(true); load(); });
  $('#next').addEventListener('click', () => { state.page++; toUrl(true); load(); });
  window.addEventListener('popstate', () => {
    state = fromUrl();
    $('#query').value = state.query;
    load();
  });
  await load({ findHighlight: true });
}

main();
