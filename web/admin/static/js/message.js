/* message.js - the page-level message in #message (role="status"): what just happened
 * ("WebSocket channel orders successfully created") or what went wrong without a field
 * to blame. One message at a time; the newest replaces the last. The box stays in the
 * page when empty (CSS makes it take no room), so screen readers announce what is put
 * into it. */
import { $, rich } from './dom.js';

/* kind: 'success' | 'error' | 'info'; parts as for rich(): strings and {code: text}. */
export function showMessage(kind, parts) {
  const box = $('#message');
  if (!box) return;
  box.className = 'message message-' + kind;
  box.replaceChildren(...rich(Array.isArray(parts) ? parts : [parts]));
}

export function clearMessage() {
  const box = $('#message');
  if (!box) return;
  box.replaceChildren();
  box.className = 'message';
}
