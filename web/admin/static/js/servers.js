/* servers.js - the Servers page: this server (GET /api/v1/server: name, admin address,
 * start time). It answers, so it is up. A cluster's other members come with a
 * GET /api/v1/servers that does not exist yet. */
import { get } from './api.js';
import { h, $ } from './dom.js';
import { start } from './layout.js';
import { showMessage } from './message.js';
import { timeCell } from './time.js';

const tbody = $('#servers').tBodies[0];

async function main() {
  await start('servers');
  try {
    const s = await get('/server');
    tbody.replaceChildren(h('tr', { dataset: { name: s.name } },
      h('td', { 'data-label': 'Name' }, h('strong', {}, s.name)),
      h('td', { 'data-label': 'Admin address', class: 'mono' }, s.admin_address),
      h('td', { 'data-label': 'Started' }, timeCell(s.started_at)),
      h('td', { 'data-label': 'State' }, h('span', { class: 'state state-up' }, 'up'))));
  } catch (e) {
    tbody.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: 4 }, 'No server details')));
    showMessage('error', e.message);
  }
}

main();
