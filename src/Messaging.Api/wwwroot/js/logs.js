// The live log tail of a service: the last lines, read again every two seconds while following.
// (GET /services/{id}/logs?tail=N is what the API offers; there is no log stream to hold open.)
import { api } from './api.js';
import { el } from './dom.js';

const TAIL = 500;
const EVERY_MS = 2000;

export function logPanel(id) {
  let lines = [];
  let timer = null;
  let running = false;
  const output = el('pre', { class: 'log', tabindex: '0', role: 'log', 'aria-label': 'Log lines', 'aria-live': 'off' });
  const state = el('span', { class: 'muted', role: 'status' });
  const follow = el('input', { type: 'checkbox', id: 'log-follow', checked: true, onchange: () => (follow.checked ? tick() : pause()) });
  const search = el('input', { type: 'search', id: 'log-search', oninput: () => render() });
  const download = el('button', { type: 'button', onclick: save }, 'Download');

  const element = el('section', { 'aria-labelledby': 'logs-title', class: 'logs' },
    el('h2', { id: 'logs-title' }, 'Logs'),
    el('div', { class: 'log-controls' },
      el('span', { class: 'check' }, follow, el('label', { for: 'log-follow' }, 'Follow')),
      el('span', { class: 'field inline' }, el('label', { for: 'log-search' }, 'Search'), search),
      download, state),
    output);

  function render() {
    const q = search.value.trim().toLowerCase();
    const shown = q ? lines.filter((l) => l.toLowerCase().includes(q)) : lines;
    const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
    output.textContent = shown.join('\n');
    if (q) state.textContent = `${shown.length} of ${lines.length} lines match`;
    if (follow.checked && atBottom) output.scrollTop = output.scrollHeight;
  }

  async function tick() {
    clearTimeout(timer);
    if (!running) return;
    try {
      const answer = await api(`/services/${id}/logs?tail=${TAIL}`);
      lines = answer.lines;
      if (!search.value) state.textContent = follow.checked ? `following, ${lines.length} lines` : 'paused';
      render();
    } catch (e) {
      state.textContent = `Logs unavailable: ${e.message}`;
    }
    if (running && follow.checked) timer = setTimeout(tick, EVERY_MS);
  }

  function pause() { clearTimeout(timer); state.textContent = 'paused'; }

  function save() {
    const url = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/plain' }));
    const a = el('a', { href: url, download: `${id}.log` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  return {
    element,
    start() { running = true; tick(); },
    stop() { running = false; clearTimeout(timer); },
  };
}
