// Builds (issue 17): start a build of an operator's context, the queue and recent builds, and a build's log streamed
// live (GET /builds/{id}/logs?follow=true, Server-Sent Events; secrets arrive masked by the worker).
import { api, session, reportUnauthorized, ApiError } from './api.js';
import { onLiveEvent } from './live.js';
import { readEvents } from './sse.js';
import { el, clear, statusBadge, time, notice } from './dom.js';
import { currentUser } from './app.js';

const ACTIVE = ['pending', 'queued', 'building'];

export function buildsView(root, openId) {
  const admin = currentUser().admin;
  const outcome = el('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const context = el('input', { id: 'build-context', name: 'context', required: true, autocomplete: 'off', 'aria-describedby': 'context-error context-hint' });
  const args = el('textarea', { id: 'build-args', name: 'args', rows: '3', 'aria-describedby': 'args-error args-hint' });
  const form = el('form', { id: 'build-form', novalidate: true, onsubmit: start },
    el('div', { class: 'field' }, el('label', { for: 'build-context' }, 'Context'), context,
      el('p', { class: 'hint', id: 'context-hint' }, 'The name of a build context the operator configured (e.g. hello-web).'),
      el('p', { class: 'field-error', id: 'context-error', role: 'alert' })),
    el('div', { class: 'field' }, el('label', { for: 'build-args' }, 'Build arguments'), args,
      el('p', { class: 'hint', id: 'args-hint' }, 'One NAME=value per line, only those the context declares.'),
      el('p', { class: 'field-error', id: 'args-error', role: 'alert' })),
    el('button', { type: 'submit' }, 'Start build'));
  const list = el('tbody');
  const logTitle = el('h2', { id: 'build-log-title' }, 'Build log');
  const logState = el('span', { class: 'muted', role: 'status' }, 'Choose a build to follow its log.');
  const output = el('pre', { class: 'log', tabindex: '0', role: 'log', 'aria-labelledby': 'build-log-title', 'aria-live': 'off' });

  clear(root, el('section', { 'aria-labelledby': 'builds-title' },
    el('h1', { id: 'builds-title' }, 'Builds'),
    el('div', { class: 'columns' },
      el('div', {}, form, outcome),
      el('div', { class: 'build-log' }, logTitle, el('div', { class: 'log-controls' }, logState), output)),
    // The whole width for the list: built image names are long (namespace/instance/context:hash).
    el('h2', { id: 'queue-title' }, 'Queue and recent builds'),
    el('div', { class: 'table-wrap' }, el('table', { 'aria-labelledby': 'queue-title', class: 'builds' },
      el('thead', {}, el('tr', {}, ['Build', 'Context', 'Status', 'Queue', 'Image', 'Finished', admin ? 'Owner' : null]
        .filter(Boolean).map((h) => el('th', { scope: 'col' }, h)))),
      list))));

  let builds = [];
  let following = null;   // { id, controller }
  let poll = null;

  function row(b) {
    return el('tr', { dataset: { buildId: b.build_id } },
      el('th', { scope: 'row' }, el('a', { href: `#/builds/${b.build_id}`, 'aria-label': `Log of build ${b.build_id.slice(0, 8)}` }, b.build_id.slice(0, 8))),
      el('td', {}, b.context),
      el('td', {}, statusBadge(b.status), b.failure ? ` ${b.failure.code}` : ''),
      el('td', { class: 'num' }, b.status === 'queued' && b.queue_position !== null ? String(b.queue_position) : ''),
      el('td', { class: 'image' }, b.image || ''),
      el('td', {}, time(b.finished_at)),
      admin ? el('td', {}, b.owner) : null);
  }

  async function load() {
    try {
      builds = await api('/builds');
      clear(list, builds.length ? builds.map(row) : el('tr', {}, el('td', { colspan: admin ? '7' : '6' }, 'No builds yet.')));
    } catch (e) {
      notice(outcome, `Could not load the builds: ${e.message}`, 'bad');
    }
    // Queue positions change without an event: look again while any build is under way.
    clearTimeout(poll);
    if (builds.some((b) => ACTIVE.includes(b.status))) poll = setTimeout(load, 2000);
  }

  function parseArgs() {
    const values = {};
    for (const line of args.value.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const eq = line.indexOf('=');
      if (eq < 1) return { error: `"${line}" is not NAME=value.` };
      values[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return { values };
  }

  async function start(event) {
    event.preventDefault();
    for (const id of ['context-error', 'args-error']) document.getElementById(id).textContent = '';
    context.removeAttribute('aria-invalid'); args.removeAttribute('aria-invalid');
    const parsed = parseArgs();
    if (parsed.error) { document.getElementById('args-error').textContent = parsed.error; args.setAttribute('aria-invalid', 'true'); return; }
    try {
      const body = { context: context.value.trim() };
      if (Object.keys(parsed.values).length) body.args = parsed.values;
      const accepted = await api('/builds', { method: 'POST', body });
      notice(outcome, `Build ${accepted.build_id.slice(0, 8)} of ${accepted.context} accepted.`, 'ok');
      location.hash = `#/builds/${accepted.build_id}`;
    } catch (e) {
      const errors = e instanceof ApiError ? e.fieldErrors : {};
      const argKey = Object.keys(errors).find((k) => k.startsWith('args'));
      if (errors.context) { document.getElementById('context-error').textContent = errors.context.join(' '); context.setAttribute('aria-invalid', 'true'); }
      if (argKey) { document.getElementById('args-error').textContent = errors[argKey].join(' '); args.setAttribute('aria-invalid', 'true'); }
      if (!errors.context && !argKey) notice(outcome, `The build was refused: ${e.message}`, 'bad');
    }
  }

  async function follow(id) {
    if (following) following.controller.abort();
    const controller = new AbortController();
    following = { id, controller };
    output.textContent = '';
    logTitle.textContent = `Build log of ${id.slice(0, 8)}`;
    logState.textContent = 'connecting';
    const lines = [];
    try {
      const response = await fetch(`/api/v1/builds/${id}/logs?follow=true`, {
        headers: { Authorization: `Bearer ${session.token}`, Accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store',
      });
      if (response.status === 401) { reportUnauthorized(); return; }
      if (!response.ok) { logState.textContent = response.status === 404 ? 'No such build.' : `Log unavailable (HTTP ${response.status}).`; return; }
      logState.textContent = 'following';
      await readEvents(response.body, controller.signal, ({ type, data }) => {
        if (type === 'line') {
          lines.push(data);
          const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
          output.textContent = lines.join('\n');
          if (atBottom) output.scrollTop = output.scrollHeight;
        } else if (type === 'end') {
          const end = JSON.parse(data);
          logState.textContent = end.status === 'succeeded' ? `succeeded: ${end.image}` : `failed: ${end.failure ? `${end.failure.code}: ${end.failure.message}` : ''}`;
          logState.dataset.status = end.status;
          load();
        }
      });
    } catch (e) {
      if (!controller.signal.aborted) logState.textContent = `Log stream ended: ${e.message}`;
    }
  }

  const unsubscribe = onLiveEvent(({ entry }) => { if (entry && entry.build_id) load(); });
  load();
  if (openId) follow(openId);
  return () => { unsubscribe(); clearTimeout(poll); if (following) following.controller.abort(); };
}
