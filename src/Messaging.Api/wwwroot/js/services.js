// The services table: every service the token sees, live (events -> the record read again), with stats.
import { api, all } from './api.js';
import { onLiveEvent } from './live.js';
import { el, clear, statusBadge, healthBadge, bytes, duration } from './dom.js';
import { currentUser } from './app.js';

const STATUSES = ['pending', 'creating', 'running', 'stopped', 'crash_looping', 'failed', 'removing'];
const HEALTHS = ['healthy', 'starting', 'unhealthy', 'none'];
const STATS_EVERY_MS = 10000;

export function servicesView(root) {
  const admin = currentUser().admin;
  const services = new Map(); // id -> record
  const stats = new Map();    // id -> stats answer
  const rows = new Map();     // id -> <tr>
  const filters = { status: '', health: '', owner: '', text: '' };

  const status = el('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const select = (id, label, values, key) => el('div', { class: 'field' },
    el('label', { for: id }, label),
    el('select', { id, onchange: (e) => { filters[key] = e.target.value; render(); } },
      el('option', { value: '' }, 'all'), values.map((v) => el('option', { value: v }, v))));
  const ownerSelect = admin ? select('filter-owner', 'Owner', [], 'owner') : null;
  const body = el('tbody');
  const count = el('p', { class: 'count', 'aria-live': 'polite' });

  clear(root,
    el('section', { 'aria-labelledby': 'services-title' },
      el('div', { class: 'title-row' },
        el('h1', { id: 'services-title' }, 'Services'),
        count),
      el('form', { class: 'filters', role: 'search', 'aria-label': 'Filter services', onsubmit: (e) => e.preventDefault() },
        el('div', { class: 'field' },
          el('label', { for: 'filter-text' }, 'Name or image'),
          el('input', { id: 'filter-text', type: 'search', oninput: (e) => { filters.text = e.target.value.trim().toLowerCase(); render(); } })),
        select('filter-status', 'Status', STATUSES, 'status'),
        select('filter-health', 'Health', HEALTHS, 'health'),
        ownerSelect),
      status,
      el('div', { class: 'table-wrap' },
        el('table', { class: 'services' },
          el('caption', { class: 'visually-hidden' }, 'Services, updated live'),
          el('thead', {}, el('tr', {},
            ['Name', 'Image', admin ? 'Owner' : null, 'Status', 'Health', 'Restarts', 'Address', 'In state for', 'CPU', 'Memory']
              .filter(Boolean).map((h) => el('th', { scope: 'col' }, h)))),
          body))));

  function visible(s) {
    if (s.status === 'removed') return false;
    if (filters.status && s.status !== filters.status) return false;
    if (filters.health && (s.health || 'none') !== filters.health) return false;
    if (filters.owner && s.owner !== filters.owner) return false;
    if (filters.text && !`${s.service_name} ${s.image}`.toLowerCase().includes(filters.text)) return false;
    return true;
  }

  function cells(s) {
    const st = stats.get(s.service_id);
    const restarts = el('td', { class: 'num' }, String(s.restart_count || 0));
    if (s.status === 'crash_looping') restarts.append(' ', el('span', { class: 'badge bad' }, 'crash loop'));
    const address = s.host_port
      ? el('a', { href: `http://${s.host === '0.0.0.0' ? location.hostname : s.host}:${s.host_port}/`, rel: 'noopener' },
        `${s.host}:${s.host_port}`) : '';
    return [
      el('th', { scope: 'row' }, el('a', { href: `#/services/${s.service_id}` }, s.service_name)),
      el('td', { class: 'wrap' }, s.image), // built images' tags are long: wrap rather than push Memory off the table
      admin ? el('td', {}, s.owner) : null,
      el('td', {}, statusBadge(s.status)),
      el('td', {}, healthBadge(s.health)),
      restarts,
      el('td', {}, address),
      el('td', { class: 'num', dataset: { since: s.updated_at } }, duration(s.updated_at)),
      el('td', { class: 'num', dataset: { cell: 'cpu' } }, cpuText(s, st)),
      el('td', { class: 'num', dataset: { cell: 'memory' } }, memoryText(s, st)),
    ].filter(Boolean);
  }

  const cpuText = (s, st) => (s.status === 'running' && st ? `${st.cpu_percent.toFixed(1)} %` : '');
  const memoryText = (s, st) => (s.status === 'running' && st
    ? `${bytes(st.memory_used_bytes)} / ${bytes(st.memory_limit_bytes)}` : s.memory_limit);

  function row(s) {
    let tr = rows.get(s.service_id);
    if (!tr) { tr = el('tr', { dataset: { serviceId: s.service_id } }); rows.set(s.service_id, tr); }
    tr.dataset.serviceName = s.service_name;
    tr.dataset.status = s.status;
    tr.replaceChildren(...cells(s));
    return tr;
  }

  function render() {
    const shown = [...services.values()].filter(visible);
    body.replaceChildren(...shown.map(row));
    if (shown.length === 0)
      body.append(el('tr', {}, el('td', { colspan: admin ? 10 : 9 }, services.size ? 'No service matches the filters.' : 'No services yet.')));
    count.textContent = `${shown.length} of ${[...services.values()].filter((s) => s.status !== 'removed').length} shown`;
    if (ownerSelect) {
      const input = ownerSelect.querySelector('select');
      const owners = [...new Set([...services.values()].map((s) => s.owner))].sort();
      const have = [...input.options].slice(1).map((o) => o.value);
      if (owners.join() !== have.join()) {
        input.replaceChildren(el('option', { value: '' }, 'all'), owners.map((o) => el('option', { value: o }, o)));
        input.value = owners.includes(filters.owner) ? filters.owner : '';
      }
    }
  }

  /** One service again, after an event about it: updated in place, or dropped when gone. */
  const refreshing = new Map();
  function refresh(id) {
    if (refreshing.has(id)) { refreshing.set(id, true); return; }
    refreshing.set(id, false);
    api(`/services/${id}`)
      .then((s) => services.set(id, s))
      .catch((e) => { if (e.status === 404) services.delete(id); })
      .finally(() => {
        const again = refreshing.get(id);
        refreshing.delete(id);
        render();
        if (again) refresh(id);
      });
  }

  let stopped = false;
  async function load() {
    try {
      const items = await all('/services');
      services.clear();
      for (const s of items) services.set(s.service_id, s);
      status.textContent = '';
      render();
    } catch (e) {
      status.textContent = `Could not load the services: ${e.message}`;
    }
  }

  // CPU and memory: the worker reads the engine's stats once per call (about a second), so two at a time.
  async function pollStats() {
    const running = [...services.values()].filter((s) => s.status === 'running' && visible(s)).map((s) => s.service_id);
    const queue = [...running];
    const worker = async () => {
      while (queue.length && !stopped) {
        const id = queue.shift();
        try { stats.set(id, await api(`/services/${id}/stats`)); } catch { stats.delete(id); }
        const s = services.get(id);
        const tr = rows.get(id);
        if (s && tr) {
          tr.querySelector('[data-cell=cpu]').textContent = cpuText(s, stats.get(id));
          tr.querySelector('[data-cell=memory]').textContent = memoryText(s, stats.get(id));
        }
      }
    };
    await Promise.all([worker(), worker()]);
    if (!stopped) statsTimer = setTimeout(pollStats, STATS_EVERY_MS);
  }

  const unsubscribe = onLiveEvent(({ entry }) => {
    if (entry && entry.service_id && entry.service_id !== '00000000-0000-0000-0000-000000000000') refresh(entry.service_id);
  });
  let statsTimer = null;
  const clock = setInterval(() => {
    for (const td of body.querySelectorAll('td[data-since]')) td.textContent = duration(td.dataset.since);
  }, 5000);
  load().then(() => { if (!stopped) pollStats(); });

  return () => { stopped = true; unsubscribe(); clearTimeout(statsTimer); clearInterval(clock); };
}
