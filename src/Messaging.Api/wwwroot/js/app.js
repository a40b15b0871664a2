// Sign-in, sign-out and the views (hash routes: #/services, #/services/<id>, #/stacks, #/builds[/<id>], #/create, #/admin).
import { api, session, onUnauthorized, ApiError } from './api.js';
import { startLive, stopLive } from './live.js';
import { servicesView } from './services.js';
import { detailView } from './detail.js';
import { createView } from './create.js';
import { adminView } from './admin.js';
import { stacksView } from './stacks.js';
import { buildsView } from './builds.js';

const $ = (id) => document.getElementById(id);
let me = null;          // GET /api/v1/me of the signed-in token
let unmount = null;     // the current view's clean-up (timers, live subscriptions)

/** What the signed-in token may do; views show only those actions (the API checks every call anyway). */
export function can(scope) {
  return !!me && (me.admin || me.scopes.includes(scope));
}
export function currentUser() { return me; }

async function signIn(token) {
  session.signIn(token);
  try {
    me = await api('/me');
  } catch (e) {
    session.signOut();
    throw e;
  }
  startLive();
  showSignedIn();
}

function signOut(reason) {
  if (unmount) { unmount(); unmount = null; }
  stopLive();
  session.signOut();
  me = null;
  $('view').replaceChildren();
  $('view').hidden = true;
  $('nav').hidden = true;
  $('session').hidden = true;
  $('sign-in-view').hidden = false;
  $('token').value = '';
  $('token-error').textContent = reason || '';
  if (location.hash) history.replaceState(null, '', location.pathname);
  $('token').focus();
}

function showSignedIn() {
  $('sign-in-view').hidden = true;
  $('nav').hidden = false;
  $('session').hidden = false;
  $('view').hidden = false;
  $('who').textContent = `${me.id}${me.admin ? ' (admin)' : can('services:write') ? '' : ' (read-only)'}`;
  for (const link of document.querySelectorAll('[data-requires]'))
    link.parentElement.hidden = !can(link.dataset.requires);
  route();
}

function route() {
  if (!me) return;
  if (unmount) { unmount(); unmount = null; }
  const view = $('view');
  view.replaceChildren();
  const hash = location.hash || '#/services';
  let match;
  let name = 'services';
  if ((match = hash.match(/^#\/services\/([0-9a-f-]{36})$/))) { name = 'services'; unmount = detailView(view, match[1]); }
  else if (hash === '#/stacks') { name = 'stacks'; unmount = stacksView(view); }
  else if ((match = hash.match(/^#\/builds(?:\/([0-9a-f-]{36}))?$/)) && can('images:build')) { name = 'builds'; unmount = buildsView(view, match[1]); }
  else if (hash === '#/create' && can('services:write')) { name = 'create'; unmount = createView(view); }
  else if (hash === '#/admin' && me.admin) { name = 'admin'; unmount = adminView(view); }
  else unmount = servicesView(view);
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

onUnauthorized(() => signOut('Your token is no longer valid (revoked or expired). Sign in again.'));
window.addEventListener('hashchange', route);
$('sign-out').addEventListener('click', () => signOut('Signed out.'));
$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = $('token').value.trim();
  $('token-error').textContent = '';
  if (!token) { $('token-error').textContent = 'Enter a token.'; return; }
  try {
    await signIn(token);
  } catch (e) {
    $('token-error').textContent = e instanceof ApiError && e.status === 401
      ? 'This token is unknown, revoked or expired.' : `Sign-in failed: ${e.message}`;
    $('token').setAttribute('aria-invalid', 'true');
  }
});

if (session.token) signIn(session.token).catch(() => signOut('')); else signOut('');
