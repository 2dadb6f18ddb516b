/* password.js - change one's own password (PUT /api/v1/session/password). The API
 * judges the current and the new password; this page only checks that the new one was
 * typed the same twice, which the API cannot know. */
import { put } from './api.js';
import { $ } from './dom.js';
import { start } from './layout.js';
import { showMessage } from './message.js';
import { clearErrors, fieldError, showApiError, busy } from './form.js';

const form = $('#password-form');
const field = (name) => form.elements.namedItem(name);

async function submit(e) {
  e.preventDefault();
  clearErrors(form);
  if (field('new_password').value !== field('new_password_again').value) {
    fieldError(form, 'new_password_again', 'The two new passwords differ; type the same one twice.');
    field('new_password_again').focus();
    return;
  }
  busy(form, true);
  try {
    await put('/session/password', {
      current_password: field('current_password').value,
      new_password: field('new_password').value,
    });
  } catch (err) {
    busy(form, false);
    showApiError(form, err);
    return;
  }
  busy(form, false);
  form.reset();
  showMessage('success', 'Password changed. Use the new one the next time you log in.');
  $('#message').focus();
}

async function main() {
  const s = await start('password');
  field('account-username').value = s.username; /* for password managers */
  form.addEventListener('submit', submit);
}

main();
