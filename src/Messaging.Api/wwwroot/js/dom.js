// Small helpers for building the page. Text from the API always goes in as text (textContent), never as HTML.

/** el('td', {class: 'x', dataset: {id: 1}}, 'text', child) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) { // nested lists of parts, as views build them
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node, ...children) { node.replaceChildren(); append(node, children); return node; }

const STATUS_KIND = {
  running: 'ok', stopped: 'off', pending: 'busy', creating: 'busy', removing: 'busy',
  failed: 'bad', crash_looping: 'bad', removed: 'off',
  queued: 'busy', building: 'busy', succeeded: 'ok', // builds
};
const HEALTH_KIND = { healthy: 'ok', starting: 'busy', unhealthy: 'bad', none: 'off' };

export function statusBadge(status) {
  return el('span', { class: `badge ${STATUS_KIND[status] || 'off'}`, dataset: { status } }, status.replace('_', ' '));
}

export function healthBadge(health) {
  const value = health || 'none';
  return el('span', { class: `badge ${HEALTH_KIND[value] || 'off'}`, dataset: { health: value } },
    value === 'none' ? 'no check' : value);
}

export function bytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(n < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

const MEMORY_UNITS = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Docker's memory units (64m, 1g) in bytes; 0 when the text is not one. */
export function parseMemory(text) {
  const m = /^(\d+)([bkmg]?)$/i.exec((text || '').trim());
  return m ? Number(m[1]) * (MEMORY_UNITS[(m[2] || 'b').toLowerCase()]) : 0;
}

export function duration(fromIso, now = Date.now()) {
  if (!fromIso) return '';
  let s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return el('time', { datetime: iso, title: date.toISOString() }, date.toLocaleString());
}

/** The confirmation dialog (index.html #confirm); resolves true when the user confirms. */
export function confirmAction(text, confirmLabel) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = confirmLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

/** A message in a live region, for the outcome of an action. */
export function notice(region, text, kind = 'info') {
  clear(region, text);
  region.className = `notice ${kind}`;
}
