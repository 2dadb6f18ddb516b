/* servers.js - the Servers page: every server of the cluster (GET /api/v1/servers)
 * with its admin address, start time, last heartbeat and state (up, missed
 * heartbeats, down, left). */
import { get } from './api.js';
import { h, $ } from './dom.js';
import { start } from './layout.js';
import { showMessage } from './message.js';
import { timeCell } from './time.js';

const tbody = $('#servers').tBodies[0];

function kind(state) {
  return state === 'up' ? 'up' : state === 'down' ? 'error' : 'other';
}

function row(s) {
  return h('tr', { dataset: { name: s.name } },
    h('td', { 'data-label': 'Name' }, h('strong', {}, s.name)),
    h('td', { 'data-label': 'Admin address', class: 'mono' }, s.admin_address),
    h('td', { 'data-label': 'Started' }, timeCell(s.started_at)),
    h('td', { 'data-label': 'Last heartbeat' }, timeCell(s.last_heartbeat)),
    h('td', { 'data-label': 'State' }, h('span', { class: 'state state-' + kind(s.state) }, s.state)));
}

async function main() {
  await start('servers');
  try {
    const data = await get('/servers');
    tbody.replaceChildren(...(data.items.length ? data.items.map(row)
      : [h('tr', { class: 'empty' }, h('td', { colspan: 5 }, 'No results'))]));
  } catch (e) {
    tbody.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: 5 }, 'No server details')));
    showMessage('error', e.message);
  }
}

main();
