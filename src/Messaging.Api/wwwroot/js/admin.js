// Admin (token with the admin scope): tokens (the secret shown once at creation; revoke), quotas against what each
// owner's services hold, webhook subscriptions and how their deliveries ended, the host's capacity and free ports
// (GET /api/v1/capacity), its nodes (GET /api/v1/nodes, where the API has it) and the warm pools (GET /api/v1/pools).
import { api, all, ApiError } from './api.js';
import { el, clear, bytes, time, confirmAction, notice, parseMemory } from './dom.js';

const SCOPES = ['services:read', 'services:write', 'metrics:read', 'admin'];

export function adminView(root) {
  const tokenOutcome = el('div', { class: 'notice', role: 'alert' });
  const tokenBody = el('tbody');
  const hookOutcome = el('div', { class: 'notice', role: 'alert' });
  const hookBody = el('tbody');
  const deliveries = el('div', { 'aria-live': 'polite' });
  const capacity = el('div', { id: 'capacity' });
  const nodes = el('div', { id: 'nodes' });
  const pools = el('div', { id: 'pools' });

  const field = (id, label, input) => el('div', { class: 'field' }, el('label', { for: id }, label), input,
    el('p', { class: 'field-error', id: `${id}-error` }));
  const tokenForm = el('form', { id: 'token-form', novalidate: true, onsubmit: createToken },
    field('token-name', 'Name', el('input', { id: 'token-name', required: true, 'aria-describedby': 'token-name-error' })),
    el('fieldset', { class: 'inline' }, el('legend', {}, 'Scopes'),
      SCOPES.map((s) => el('span', { class: 'check' },
        el('input', { type: 'checkbox', id: `scope-${s}`, value: s, checked: s === 'services:read' }),
        el('label', { for: `scope-${s}` }, s)))),
    el('div', { class: 'row' },
      field('token-max-services', 'Max services', el('input', { id: 'token-max-services', inputmode: 'numeric', 'aria-describedby': 'token-max-services-error' })),
      field('token-max-memory', 'Max memory', el('input', { id: 'token-max-memory', placeholder: 'e.g. 1g', 'aria-describedby': 'token-max-memory-error' })),
      field('token-max-cpus', 'Max CPUs', el('input', { id: 'token-max-cpus', inputmode: 'decimal', 'aria-describedby': 'token-max-cpus-error' })),
      field('token-expires', 'Expires (UTC, optional)', el('input', { id: 'token-expires', type: 'datetime-local', 'aria-describedby': 'token-expires-error' }))),
    el('button', { type: 'submit' }, 'Create token'));

  const hookForm = el('form', { id: 'webhook-form', novalidate: true, onsubmit: createHook },
    el('div', { class: 'row' },
      field('webhook-url', 'URL', el('input', { id: 'webhook-url', type: 'url', required: true, 'aria-describedby': 'webhook-url-error' })),
      field('webhook-types', 'Event types (comma-separated; empty: all)', el('input', { id: 'webhook-types', 'aria-describedby': 'webhook-types-error' }))),
    el('button', { type: 'submit' }, 'Subscribe'));

  clear(root,
    el('h1', {}, 'Administration'),
    el('section', { 'aria-labelledby': 'capacity-title' },
      el('h2', { id: 'capacity-title' }, 'Capacity and free ports'), capacity,
      el('h3', { id: 'nodes-title' }, 'Nodes'), nodes,
      el('h3', { id: 'pools-title' }, 'Warm pools'), pools),
    el('section', { 'aria-labelledby': 'tokens-title' },
      el('h2', { id: 'tokens-title' }, 'Tokens and quotas'),
      el('div', { class: 'table-wrap' }, el('table', {},
        el('caption', { class: 'visually-hidden' }, 'Tokens, their quotas and what their services hold'),
        el('thead', {}, el('tr', {}, ['Id', 'Name', 'Scopes', 'Services', 'Memory', 'CPUs', 'Last used', 'Expires', 'State', ''].map((h) =>
          el('th', { scope: 'col' }, h)))),
        tokenBody)),
      el('h3', {}, 'New token'), tokenOutcome, tokenForm),
    el('section', { 'aria-labelledby': 'webhooks-title' },
      el('h2', { id: 'webhooks-title' }, 'Webhooks'),
      el('div', { class: 'table-wrap' }, el('table', {},
        el('caption', { class: 'visually-hidden' }, 'Webhook subscriptions'),
        el('thead', {}, el('tr', {}, ['URL', 'Events', 'Created', 'Last delivery', ''].map((h) => el('th', { scope: 'col' }, h)))),
        hookBody)),
      deliveries,
      el('h3', {}, 'New subscription'), hookOutcome, hookForm));

  async function loadTokens() {
    const [{ items }, services] = await Promise.all([api('/tokens'), all('/services')]);
    const usage = new Map();
    for (const s of services) {
      if (['removed', 'failed'].includes(s.status)) continue;
      const u = usage.get(s.owner) || { services: 0, memory: 0, cpus: 0 };
      u.services++; u.memory += parseMemory(s.memory_limit); u.cpus += s.cpu_limit;
      usage.set(s.owner, u);
    }
    const of = (used, max, format) => `${format(used)} / ${max === null || max === undefined ? 'no limit' : format(max)}`;
    clear(tokenBody, items.map((t) => {
      const u = usage.get(t.id) || { services: 0, memory: 0, cpus: 0 };
      const state = t.revoked_at ? 'revoked' : t.expires_at && Date.parse(t.expires_at) < Date.now() ? 'expired' : 'active';
      return el('tr', { dataset: { tokenId: t.id } },
        el('th', { scope: 'row' }, t.id), el('td', {}, t.name), el('td', {}, t.scopes.join(', ')),
        el('td', { class: 'num' }, of(u.services, t.max_services, String)),
        el('td', { class: 'num' }, of(u.memory, t.max_memory ? parseMemory(t.max_memory) : null, bytes)),
        el('td', { class: 'num' }, of(Math.round(u.cpus * 100) / 100, t.max_cpus, String)),
        el('td', {}, time(t.last_used_at)), el('td', {}, time(t.expires_at)), el('td', {}, state),
        el('td', {}, state === 'active' ? el('button', { type: 'button', class: 'danger', onclick: () => revoke(t) }, `Revoke ${t.name}`) : ''));
    }));
  }

  async function revoke(t) {
    if (!(await confirmAction(`Revoke the token ${t.name} (${t.id})? It authenticates no more; its services stay.`, 'Revoke'))) return;
    try { await api(`/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' }); notice(tokenOutcome, `Revoked ${t.name}.`, 'ok'); }
    catch (e) { notice(tokenOutcome, e.message, 'bad'); }
    loadTokens();
  }

  function showErrors(form, prefix, e, outcome) {
    let placed = false;
    for (const [key, messages] of Object.entries(e.fieldErrors || {})) {
      const target = form.querySelector(`#${prefix}-${key.replace(/_/g, '-')}-error`);
      if (target) { target.textContent = messages.join(' '); placed = true; }
    }
    notice(outcome, placed ? `${e.problem.title}: see the fields marked below.` : e.message, 'bad');
  }

  async function createToken(event) {
    event.preventDefault();
    for (const p of tokenForm.querySelectorAll('.field-error')) p.textContent = '';
    const v = (id) => tokenForm.querySelector(`#${id}`).value.trim();
    const body = { name: v('token-name'), scopes: SCOPES.filter((s) => tokenForm.querySelector(`#scope-${CSS.escape(s)}`).checked) };
    if (v('token-max-services')) body.max_services = Number(v('token-max-services'));
    if (v('token-max-memory')) body.max_memory = v('token-max-memory');
    if (v('token-max-cpus')) body.max_cpus = Number(v('token-max-cpus'));
    if (v('token-expires')) body.expires_at = new Date(`${v('token-expires')}Z`).toISOString();
    try {
      const created = await api('/tokens', { method: 'POST', body });
      notice(tokenOutcome, `Token ${created.details.name} created. Copy the secret now: it is not shown again.`, 'ok');
      const secret = el('input', { id: 'new-token-secret', readonly: true, value: created.token, 'aria-label': 'The new token (shown once)' });
      tokenOutcome.append(el('div', { class: 'secret' }, secret,
        el('button', { type: 'button', onclick: () => { secret.select(); navigator.clipboard?.writeText(created.token); } }, 'Copy')));
      tokenForm.reset();
      loadTokens();
    } catch (e) {
      if (e instanceof ApiError) showErrors(tokenForm, 'token', e, tokenOutcome); else notice(tokenOutcome, e.message, 'bad');
    }
  }

  const deliveryText = (d) => [time(d.at), ` ${d.event_type}: `, el('span', { class: `badge ${d.status === 'delivered' ? 'ok' : 'bad'}`, dataset: { delivery: d.status } }, d.status),
    ` after ${d.attempts} attempt(s)`, d.status_code ? `, HTTP ${d.status_code}` : '', d.error ? ` (${d.error})` : ''];

  async function loadHooks() {
    const { items } = await api('/webhooks');
    // Each subscription's latest delivery, so that its state shows without opening it.
    const latest = await Promise.all(items.map((h) => api(`/webhooks/${encodeURIComponent(h.id)}/deliveries?limit=1`)
      .then((d) => d.items[0] || null, () => null)));
    clear(hookBody, items.length ? items.map((h, i) => el('tr', { dataset: { webhookId: h.id } },
      el('th', { scope: 'row' }, h.url), el('td', {}, h.event_types.length ? h.event_types.join(', ') : 'all'),
      el('td', {}, time(h.created_at)),
      el('td', { dataset: { cell: 'last-delivery' } }, latest[i] ? deliveryText(latest[i]) : 'none yet'),
      el('td', {},
        el('button', { type: 'button', onclick: () => showDeliveries(h), 'aria-label': `Deliveries to ${h.url}` }, 'Deliveries'), ' ',
        el('button', { type: 'button', class: 'danger', onclick: () => unsubscribe(h), 'aria-label': `Delete the subscription to ${h.url}` }, 'Delete'))))
      : el('tr', {}, el('td', { colspan: 5 }, 'No subscriptions.')));
  }

  async function showDeliveries(h) {
    const { items } = await api(`/webhooks/${encodeURIComponent(h.id)}/deliveries?limit=20`);
    clear(deliveries, el('h3', {}, `Latest deliveries to ${h.url}`),
      items.length ? el('ul', { class: 'deliveries' }, items.map((d) => el('li', {}, deliveryText(d))))
        : el('p', {}, 'None yet.'));
    // The list's latest delivery too (only that cell: the row's buttons, and the focus on them, stay).
    const cell = hookBody.querySelector(`tr[data-webhook-id="${CSS.escape(h.id)}"] [data-cell=last-delivery]`);
    if (cell) clear(cell, items.length ? deliveryText(items[0]) : 'none yet');
  }

  async function unsubscribe(h) {
    if (!(await confirmAction(`Delete the subscription to ${h.url}? Nothing more is delivered to it.`, 'Delete'))) return;
    try { await api(`/webhooks/${encodeURIComponent(h.id)}`, { method: 'DELETE' }); notice(hookOutcome, 'Deleted.', 'ok'); }
    catch (e) { notice(hookOutcome, e.message, 'bad'); }
    loadHooks();
  }

  async function createHook(event) {
    event.preventDefault();
    for (const p of hookForm.querySelectorAll('.field-error')) p.textContent = '';
    const url = hookForm.querySelector('#webhook-url').value.trim();
    const types = hookForm.querySelector('#webhook-types').value.split(',').map((t) => t.trim()).filter(Boolean);
    try {
      const created = await api('/webhooks', { method: 'POST', body: { url, event_types: types } });
      notice(hookOutcome, 'Subscribed. Its signing secret, shown only now:', 'ok');
      hookOutcome.append(el('input', { readonly: true, value: created.secret, 'aria-label': 'Signing secret (shown once)' }));
      hookForm.reset();
      loadHooks();
    } catch (e) {
      if (e instanceof ApiError) showErrors(hookForm, 'webhook', e, hookOutcome); else notice(hookOutcome, e.message, 'bad');
    }
  }

  /** A figure the tests compare with the API: its raw value in data-value. */
  const figure = (id, value, text) => el('strong', { id, dataset: { value: value === null || value === undefined ? '' : String(value) } }, text);
  const cpu = (n) => `${Math.round(n * 1000) / 1000} CPU`;
  const table = (caption, headers, rows) => el('div', { class: 'table-wrap' }, el('table', {},
    el('caption', { class: 'visually-hidden' }, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows)));

  async function loadCapacity() {
    const c = await api('/capacity');
    const p = c.ports, h = c.host;
    const share = (used, total, format, id) => total === null || total === undefined
      ? [figure(`${id}-used`, used, format(used)), ' in use (budget unknown)']
      : [figure(`${id}-used`, used, format(used)), ' of ', figure(`${id}-total`, total, format(total)), ` in use (${Math.round((used / total) * 100)} %)`];
    clear(capacity,
      c.reported ? null : el('p', { class: 'notice bad' }, 'No worker reported its port range and budget lately: only what Redis holds is shown.'),
      el('dl', { class: 'facts' },
        el('dt', {}, 'Port range'),
        el('dd', {}, p.min === null ? 'unknown' : [`${p.min}–${p.max} (`, figure('ports-size', p.size, String(p.size)), ' ports)']),
        el('dt', {}, 'Ports reserved'), el('dd', {}, figure('ports-reserved', p.reserved, String(p.reserved)), ' (services and warm pool members)'),
        el('dt', {}, 'Ports blocked'), el('dd', {}, figure('ports-blocked', p.blocked, String(p.blocked)), ' (refused by the engine, skipped for a while)'),
        el('dt', {}, 'Ports free'), el('dd', {}, p.free === null ? 'unknown' : figure('ports-free', p.free, String(p.free))),
        el('dt', {}, 'Host memory'), el('dd', {}, share(h.memory_bytes_used, h.memory_bytes, bytes, 'host-memory')),
        el('dt', {}, 'Host CPUs'), el('dd', {}, share(h.cpus_used, h.cpus, cpu, 'host-cpus'))),
      c.updated_at ? el('p', { class: 'hint' }, 'Range and budget as the worker reported them at ', time(c.updated_at), '.') : null);
  }

  async function loadNodes() {
    let n;
    try {
      n = await api('/nodes');
    } catch (e) {
      // An API without GET /nodes (404), or no worker answering: say so, the rest of the page stands.
      clear(nodes, el('p', {}, e instanceof ApiError && e.status === 404
        ? 'This API does not list nodes (GET /api/v1/nodes).' : `Nodes unavailable: ${e.message}`));
      return;
    }
    clear(nodes, el('p', { class: 'hint' }, `Scheduler: ${n.scheduler}; read at `, time(n.read_at), '.'),
      table("The scheduler's nodes, what they have and what our services reserve of them", ['Node', 'Role', 'State', 'Availability', 'CPUs reserved', 'Memory reserved', 'Services'],
        n.nodes.map((node) => el('tr', { dataset: { nodeId: node.id } },
          el('th', { scope: 'row' }, node.hostname), el('td', {}, node.role), el('td', {}, node.state), el('td', {}, node.availability),
          el('td', { class: 'num' }, `${cpu(node.reserved.cpus)} of ${cpu(node.resources.cpus)}`),
          el('td', { class: 'num' }, `${bytes(node.reserved.memory_bytes)} of ${bytes(node.resources.memory_bytes)}`),
          el('td', { class: 'num' }, String(node.services.length))))));
  }

  async function loadPools() {
    const p = await api('/pools');
    if (!p.reported) {
      clear(pools, el('p', {}, 'No warm pools reported (pools are off, or no worker wrote a summary lately).'));
      return;
    }
    clear(pools,
      el('p', {}, 'Pool budget: ', figure('pool-members', p.budget.members, String(p.budget.members)), ' of ',
        figure('pool-max-members', p.budget.max_members, String(p.budget.max_members)), ' members unclaimed; as of ', time(p.updated_at), '.'),
      table('Warm pools', ['Pool', 'Image', 'Profile', 'Idle', 'Warming', 'Size', 'Hits', 'Misses'],
        p.pools.map((pool) => el('tr', { dataset: { pool: pool.name } },
          el('th', { scope: 'row' }, pool.name), el('td', {}, pool.image), el('td', {}, `${bytes(pool.memory_bytes)}, ${cpu(pool.cpus)}`),
          el('td', { class: 'num', dataset: { cell: 'idle' } }, String(pool.idle)), el('td', { class: 'num' }, String(pool.warming)),
          el('td', { class: 'num' }, String(pool.size)), el('td', { class: 'num' }, String(pool.hits)), el('td', { class: 'num' }, String(pool.misses))))));
  }

  loadCapacity().catch((e) => clear(capacity, el('p', { class: 'notice bad' }, `Capacity unavailable: ${e.message}`)));
  loadNodes();
  loadPools().catch((e) => clear(pools, el('p', { class: 'notice bad' }, `Pools unavailable: ${e.message}`)));
  loadTokens().catch((e) => notice(tokenOutcome, `Tokens unavailable: ${e.message}`, 'bad'));
  loadHooks().catch((e) => notice(hookOutcome, `Webhooks unavailable: ${e.message}`, 'bad'));
  return () => {};
}
