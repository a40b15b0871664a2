// Stacks: each with its members' status, health and port; stop/start/restart/remove of the whole stack (confirmed).
import { api } from './api.js';
import { onLiveEvent } from './live.js';
import { el, clear, statusBadge, healthBadge, time, confirmAction, notice } from './dom.js';
import { can, currentUser } from './app.js';

const ACTIONS = [
  { command: 'stop', label: 'Stop', confirm: 'Stop every running member of {name}?' },
  { command: 'start', label: 'Start' },
  { command: 'restart', label: 'Restart', confirm: 'Restart every member of {name}?' },
  { command: 'remove', label: 'Remove', danger: true, confirm: 'Remove {name}: every member, then its network? This cannot be undone.' },
];

export function stacksView(root) {
  const admin = currentUser().admin;
  const list = el('div', { class: 'stacks' });
  const outcome = el('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  clear(root, el('section', { 'aria-labelledby': 'stacks-title' },
    el('h1', { id: 'stacks-title' }, 'Stacks'),
    el('p', { class: 'hint' }, 'Stacks are created from a compose file with the API or the CLI (messaging stack up); see docs/STACKS.md.'),
    outcome, list));

  function card(stack) {
    return el('article', { class: 'stack', 'aria-labelledby': `stack-${stack.stack_id}`, dataset: { stackId: stack.stack_id } },
      el('div', { class: 'title-row' },
        el('h2', { id: `stack-${stack.stack_id}` }, stack.name), statusBadge(stack.status),
        admin ? el('span', { class: 'muted' }, `owner ${stack.owner}`) : null,
        el('span', { class: 'muted' }, 'since ', time(stack.updated_at))),
      stack.failure ? el('p', { class: 'notice bad' }, `${stack.failure.code}${stack.failure.member ? ` (${stack.failure.member})` : ''}: ${stack.failure.message}`) : null,
      can('services:write') ? el('div', { class: 'actions', role: 'group', 'aria-label': `Actions on ${stack.name}` },
        ACTIONS.map((a) => el('button', { type: 'button', class: a.danger ? 'danger' : '', onclick: () => act(stack, a) }, a.label))) : null,
      el('div', { class: 'table-wrap' }, el('table', {},
        el('caption', { class: 'visually-hidden' }, `Members of ${stack.name}`),
        el('thead', {}, el('tr', {}, ['Member', 'Service', 'Status', 'Health', 'Port'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, stack.members.map((m) => el('tr', {},
          el('th', { scope: 'row' }, m.member + (m.public ? ' (public)' : '')),
          el('td', {}, m.service_name ? el('a', { href: `#/services/${m.service_id}` }, m.service_name) : ''),
          el('td', {}, statusBadge(m.status), m.failure_code ? ` ${m.failure_code}` : ''),
          el('td', {}, healthBadge(m.health)),
          el('td', { class: 'num' }, m.host_port ? String(m.host_port) : '')))))));
  }

  async function act(stack, action) {
    if (action.confirm && !(await confirmAction(action.confirm.replace('{name}', stack.name), action.label))) return;
    try {
      if (action.command === 'remove') await api(`/stacks/${stack.stack_id}`, { method: 'DELETE' });
      else await api(`/stacks/${stack.stack_id}/${action.command}`, { method: 'POST' });
      notice(outcome, `${action.label} ${stack.name}: sent.`, 'ok');
    } catch (e) {
      notice(outcome, `${action.label} ${stack.name} refused: ${e.message}`, 'bad');
    }
  }

  let timer = null;
  let members = new Set(); // the listed stacks' member service ids
  async function load() {
    try {
      const stacks = await api('/stacks');
      members = new Set(stacks.flatMap((st) => st.members.map((m) => m.service_id).filter(Boolean)));
      clear(list, stacks.length ? stacks.map(card) : el('p', {}, 'No stacks.'));
    } catch (e) {
      notice(outcome, `Could not load the stacks: ${e.message}`, 'bad');
    }
  }
  // A stack's own events name it; its members' events (stopped, started, health...) name only their service: read the
  // list again on either, at most twice a second.
  const unsubscribe = onLiveEvent(({ entry }) => {
    if (!entry || !(entry.stack_id || members.has(entry.service_id)) || timer) return;
    timer = setTimeout(() => { timer = null; load(); }, 500);
  });
  load();
  return () => { unsubscribe(); clearTimeout(timer); };
}
