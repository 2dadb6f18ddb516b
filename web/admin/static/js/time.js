/* time.js - timestamps as people read them. The API gives ISO 8601 in UTC
 * ("2026-11-30T10:00:00.123456", sometimes with a Z); pages show the same instant as
 * "2026-11-30 10:00:00 UTC" and, beside it, "2026-11-30 11:00:00 (local)". */
import { h } from './dom.js';

/* A Date from an API timestamp, or null if it is not one. No zone means UTC. */
export function parseTime(s) {
  if (typeof s !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(s)) return null;
  let iso = /(Z|[+-]\d\d:?\d\d)$/.test(s) ? s : s + 'Z';
  iso = iso.replace(/(\.\d{3})\d+/, '$1'); /* Date takes milliseconds, not microseconds */
  const d = new Date(iso);
  return isNaN(d) ? null : d;
}

const pad = (n) => String(n).padStart(2, '0');

export function formatUtc(d) {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

export function formatLocal(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} (local)`;
}

/* <time> with the UTC and the local form on two lines; the raw text if unparseable. */
export function timeCell(s) {
  const d = parseTime(s);
  if (!d) return s ? String(s) : '';
  return h('time', { datetime: d.toISOString(), title: s, class: 'when' },
    h('span', { class: 'utc' }, formatUtc(d)),
    h('span', { class: 'local' }, formatLocal(d)));
}
