// One service: its record, actions, live log tail, events timeline and health history.
import { api, all } from './api.js';
import { onLiveEvent } from './live.js';
import { el, clear, statusBadge, healthBadge, bytes, time, confirmAction, notice } from './dom.js';
import { can } from './app.js';
import { logPanel } from './logs.js';

// Which statuses allow which command (the API answers 409 otherwise).
const ACTIONS = [
  { command: 'stop', label: 'Stop', allowed: ['running', 'crash_looping'], confirm: 'Stop {name}? Its container stops; its port and name stay reserved.' },
  { command: 'start', label: 'Start', allowed: ['stopped', 'crash_looping'] },
  { command: 'restart', label: 'Restart', allowed: ['running', 'stopped', 'crash_looping'], confirm: 'Restart {name}?' },
  { command: 'remove', label: 'Remove', allowed: ['running', 'stopped', 'failed', 'crash_looping'], danger: true,
    confirm: 'Remove {name}? Its container is deleted and its port and name are freed. This cannot be undone.' },
];
const HEALTH_EVENTS = ['ServiceHealthy', 'ServiceUnhealthy', 'ServiceRecovered'];

export function detailView(root, id) {
  let service = null;
  let stopped = false;
  const title = el('h1', { id: 'detail-title' }, 'Service');
  const badges = el('p', { class: 'badges' });
  const actions = el('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' });
  const outcome = el('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const facts = el('dl', { class: 'facts' });
  const timeline = el('ol', { class: 'timeline', 'aria-label': 'Events, newest first' });
  const healthList = el('ol', { class: 'timeline', 'aria-label': 'Health changes, newest first' });
  const logs = logPanel(id);

  clear(root,
    el('p', {}, el('a', { href: '#/services' }, '← All services')),
    el('section', { 'aria-labelledby': 'detail-title', class: 'detail' },
      el('div', { class: 'title-row' }, title, badges),
      actions, outcome,
      el('div', { class: 'columns' },
        el('section', { 'aria-labelledby': 'facts-title' }, el('h2', { id: 'facts-title' }, 'Details'), facts),
        el('section', { 'aria-labelledby': 'health-title' }, el('h2', { id: 'health-title' }, 'Health history'), healthList)),
      logs.element,
      el('section', { 'aria-labelledby': 'events-title' }, el('h2', { id: 'events-title' }, 'Events'), timeline)));

  function renderService() {
    const s = service;
    title.textContent = s.service_name;
    clear(badges, statusBadge(s.status), ' ', healthBadge(s.health),
      s.restart_count ? [' ', el('span', { class: 'badge busy' }, `${s.restart_count} restarts`)] : null,
      s.status === 'crash_looping' ? [' ', el('span', { class: 'badge bad' }, 'crash loop')] : null);
    root.querySelector('.detail').dataset.status = s.status;
    renderActions();
    const row = (term, ...value) => [el('dt', {}, term), el('dd', {}, ...value)];
    const address = s.host_port ? `${s.host}:${s.host_port} → ${s.internal_port}` : 'none';
    clear(facts,
      row('Image', s.image),
      row('Owner', s.owner),
      row('Limits', `${s.memory_limit} memory, ${s.cpu_limit} CPU`),
      row('Address', address),
      (s.routes || []).length ? row('Routes', el('ul', {}, s.routes.map((r) =>
        el('li', {}, el('a', { href: `https://${r.host}/`, rel: 'noopener' }, r.host), ` certificate ${r.tls}`,
          r.expires_at ? [' until ', time(r.expires_at)] : null, r.error ? ` (${r.error})` : null)))) : null,
      row('Container', s.container_id ? s.container_id.slice(0, 12) : 'none'),
      row('Created', time(s.created_at)),
      row('In this state since', time(s.updated_at)),
      s.failure ? row('Failure', `${s.failure.code}: ${s.failure.message}`) : null,
      s.last_exit ? row('Last exit', `code ${s.last_exit.code}${s.last_exit.oom ? ' (out of memory)' : ''} at `, time(s.last_exit.at)) : null,
      s.next_restart_at ? row('Next restart', time(s.next_restart_at)) : null,
      s.log_tail ? row('Last log lines', el('pre', {}, s.log_tail)) : null);
  }

  function renderActions() {
    if (!can('services:write')) { clear(actions, el('p', { class: 'muted' }, 'Read-only token: no actions.')); return; }
    const s = service;
    clear(actions, ACTIONS.map((a) => el('button', {
      type: 'button', class: a.danger ? 'danger' : '', disabled: !a.allowed.includes(s.status),
      onclick: () => act(a),
    }, a.label)));
  }

  async function act(action) {
    const s = service;
    if (action.confirm && !(await confirmAction(action.confirm.replace('{name}', s.service_name), action.label))) return;
    try {
      if (action.command === 'remove') await api(`/services/${id}`, { method: 'DELETE' });
      else await api(`/services/${id}/${action.command}`, { method: 'POST' });
      notice(outcome, `${action.label}: sent. The status changes when the worker has done it.`, 'ok');
    } catch (e) {
      notice(outcome, `${action.label} refused: ${e.message}`, 'bad');
    }
  }

  function eventItem(entry) {
    return el('li', { dataset: { type: entry.type } },
      time(entry.at), ' ', el('strong', {}, entry.type), ` by ${entry.actor}`, summary(entry));
  }

  function summary(entry) {
    const m = entry.message || {};
    const parts = [];
    if (m.reason) parts.push(m.reason);
    if (m.message) parts.push(m.message);
    if (m.exitCode !== undefined) parts.push(`exit ${m.exitCode}`);
    if (m.hostPort) parts.push(`port ${m.hostPort}`);
    return parts.length ? `: ${parts.join(', ')}` : '';
  }

  function addEvent(entry) {
    timeline.prepend(eventItem(entry));
    while (timeline.children.length > 200) timeline.lastChild.remove();
    if (HEALTH_EVENTS.includes(entry.type)) healthList.prepend(eventItem(entry));
  }

  async function load() {
    try {
      service = await api(`/services/${id}`);
      renderService();
    } catch (e) {
      clear(root, el('h1', {}, 'Service not found'), el('p', {}, e.status === 404 ? 'No such service, or not yours.' : e.message),
        el('p', {}, el('a', { href: '#/services' }, 'All services')));
      stopped = true;
      return;
    }
    try {
      const events = await all(`/services/${id}/events`);
      for (const entry of events) addEvent(entry);
      if (!healthList.children.length) healthList.append(el('li', { class: 'muted' }, 'No health change recorded.'));
    } catch (e) {
      timeline.append(el('li', {}, `Events unavailable: ${e.message}`));
    }
    logs.start();
  }

  const unsubscribe = onLiveEvent(({ entry }) => {
    if (stopped || !entry || entry.service_id !== id) return;
    healthList.querySelector('li.muted')?.remove();
    addEvent(entry);
    api(`/services/${id}`).then((s) => { service = s; renderService(); }).catch((e) => {
      if (e.status === 404) { service = { ...service, status: 'removed' }; renderService(); }
    });
  });
  load();
  return () => { stopped = true; unsubscribe(); logs.stop(); };
}
