// GET /api/v1/events, read with fetch() (sse.js). Reconnects with Last-Event-ID, as EventSource would.
import { session, reportUnauthorized } from './api.js';
import { readEvents } from './sse.js';

const bus = new EventTarget();
let controller = null;
let lastEventId = null;

/** Subscribe to every event of the stream; returns the function that unsubscribes. */
export function onLiveEvent(handler) {
  const listener = (e) => handler(e.detail);
  bus.addEventListener('event', listener);
  return () => bus.removeEventListener('event', listener);
}

function setState(state) {
  const el = document.getElementById('live-state');
  if (el) { el.textContent = state; el.dataset.state = state; }
}

export function startLive() {
  stopLive();
  controller = new AbortController();
  run(controller.signal);
}

export function stopLive() {
  if (controller) controller.abort();
  controller = null;
  lastEventId = null;
  setState('offline');
}

async function run(signal) {
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${session.token}`, Accept: 'text/event-stream' };
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const response = await fetch('/api/v1/events', { headers, signal, cache: 'no-store' });
      if (response.status === 401) { reportUnauthorized(); return; }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      setState('live');
      delay = 1000;
      await readEvents(response.body, signal, dispatch);
    } catch (e) {
      if (signal.aborted) return;
    }
    setState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15000);
  }
}

function dispatch({ id, type, data }) {
  if (id) lastEventId = id;
  if (!data) return;
  let entry;
  try { entry = JSON.parse(data); } catch { return; }
  bus.dispatchEvent(new CustomEvent('event', { detail: { id, type, entry } }));
}
