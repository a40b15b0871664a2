// GET /api/v1/events read with fetch() and a stream reader rather than EventSource: EventSource cannot send an
// Authorization header, and the token must not go into the URL. Reconnects with Last-Event-ID, as EventSource would.
import { session, reportUnauthorized } from './api.js';

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
      await read(response.body, signal);
    } catch (e) {
      if (signal.aborted) return;
    }
    setState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15000);
  }
}

async function read(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      dispatch(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

function dispatch(block) {
  let id = null, type = 'message', data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue; // a comment: connected, keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data += (data ? '\n' : '') + value;
  }
  if (id) lastEventId = id;
  if (!data) return;
  let entry;
  try { entry = JSON.parse(data); } catch { return; }
  bus.dispatchEvent(new CustomEvent('event', { detail: { id, type, entry } }));
}
