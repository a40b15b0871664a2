// The create form: an image of the allowlist, or a template with its typed parameters. The API's problem details
// are shown next to the field they name. Beside the limits: the chosen image's caps and defaults (GET /api/v1/images,
// the worker's report) and what the token's quota has left (GET /api/v1/me, `remaining`).
import { api, ApiError } from './api.js';
import { el, clear, bytes, notice, parseMemory } from './dom.js';

const IMAGE_HINTS = ['nginx:alpine'];
const cpus = (n) => String(Math.round(n * 1000) / 1000);

/** A figure the tests compare with the API: its raw value in data-value, its text as the page shows it. */
const figure = (id, value, text) => el('strong', { id, dataset: { value: String(value) } }, text);

export function createView(root) {
  const outcome = el('div', { class: 'notice', role: 'alert' });
  const quota = el('dl', { class: 'facts', id: 'quota' });
  const caps = el('dl', { class: 'facts', id: 'caps', 'aria-labelledby': 'caps-title' });
  const templateParams = el('div', { class: 'params' });
  const templateSelect = el('select', { id: 'template', name: 'template', onchange: () => showParams(), 'aria-describedby': 'template-caps' });
  const memoryLimits = el('p', { class: 'hint limits', id: 'memory_limit-limits', 'aria-live': 'polite' });
  const cpuLimits = el('p', { class: 'hint limits', id: 'cpu_limit-limits', 'aria-live': 'polite' });
  const imageNote = el('p', { class: 'hint', id: 'image-allowlist', 'aria-live': 'polite' });
  const templateCaps = el('p', { class: 'hint limits', id: 'template-caps', 'aria-live': 'polite' });
  let templates = [];
  let images = null;   // GET /api/v1/images (null: not loaded or not reported)
  let me = null;       // GET /api/v1/me

  const field = (id, label, input, hint) => el('div', { class: 'field', dataset: { field: id } },
    el('label', { for: id }, label), input,
    hint ? el('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    el('p', { class: 'field-error', id: `${id}-error` }));
  const input = (id, attrs = {}) => el('input', { id, name: id, 'aria-describedby': [`${id}-error`, attrs.hint ? `${id}-hint` : '', attrs.limits ? `${id}-limits` : ''].filter(Boolean).join(' '),
    ...attrs, hint: undefined, limits: undefined });

  const imageHints = el('datalist', { id: 'image-hints' }, IMAGE_HINTS.map((i) => el('option', { value: i })));
  const imageFields = el('fieldset', { id: 'image-fields' },
    el('legend', {}, 'Image and limits'),
    field('image', 'Image', input('image', { list: 'image-hints', value: 'nginx:alpine', autocomplete: 'off', hint: 1, oninput: showLimits }),
      'An image of the worker\'s allowlist; others are refused by the worker (status failed, image_not_allowed).'),
    imageNote,
    imageHints,
    field('memory_limit', 'Memory limit', input('memory_limit', { placeholder: 'e.g. 64m (empty: the image\'s default)', hint: 1, limits: 1, oninput: showLimits }),
      'A size with b, k, m or g; at most the image\'s cap.'),
    memoryLimits,
    field('cpu_limit', 'CPU limit (cores)', input('cpu_limit', { inputmode: 'decimal', placeholder: 'e.g. 0.25', limits: 1, oninput: showLimits })),
    cpuLimits,
    field('internal_port', 'Container port', input('internal_port', { inputmode: 'numeric', placeholder: 'the image\'s default' })),
    field('env', 'Environment (NAME=value, one a line)', el('textarea', { id: 'env', name: 'env', rows: 3, 'aria-describedby': 'env-error' })),
    field('restart', 'Restart policy', el('select', { id: 'restart', name: 'restart', 'aria-describedby': 'restart-error' },
      el('option', { value: '' }, 'the image\'s default'), ['never', 'on-failure', 'always'].map((v) => el('option', { value: v }, v)))));

  const templateFields = el('fieldset', { id: 'template-fields', hidden: true },
    el('legend', {}, 'Template'),
    field('template', 'Template', templateSelect),
    templateCaps,
    templateParams);

  const source = (value, label, checked) => el('span', { class: 'check' },
    el('input', { type: 'radio', name: 'source', id: `source-${value}`, value, checked, onchange: switchSource }),
    el('label', { for: `source-${value}` }, label));

  const form = el('form', { id: 'create-form', novalidate: true, onsubmit: submit },
    field('service_name', 'Name', input('service_name', { required: true, autocomplete: 'off', hint: 1 }),
      'Lower-case letters, digits and dashes, 2 to 63 characters.'),
    el('fieldset', { class: 'inline' }, el('legend', {}, 'From'), source('image', 'an image', true), source('template', 'a template', false)),
    imageFields, templateFields,
    el('button', { type: 'submit' }, 'Create service'));

  clear(root,
    el('section', { 'aria-labelledby': 'create-title' },
      el('h1', { id: 'create-title' }, 'Create a service'),
      el('div', { class: 'columns' },
        el('div', {}, outcome, form),
        el('aside', { 'aria-labelledby': 'quota-title' }, el('h2', { id: 'quota-title' }, 'Your quota'), quota,
          el('h2', { id: 'caps-title' }, 'Images and their caps'), caps))));

  function switchSource() {
    const fromTemplate = form.querySelector('#source-template').checked;
    imageFields.hidden = fromTemplate;
    templateFields.hidden = !fromTemplate;
  }

  function showParams() {
    const [name, version] = templateSelect.value.split('@');
    const t = templates.find((x) => x.name === name && String(x.version) === version);
    clear(templateParams, t && t.description ? el('p', { class: 'hint' }, t.description) : null,
      (t ? t.params : []).map((p) => field(`param-${p.name}`, `${p.name}${p.required ? '' : ' (optional)'}`,
        input(`param-${p.name}`, {
          required: p.required, value: p.default ?? '', dataset: { param: p.name },
          inputmode: p.type === 'int' || p.type === 'integer' || p.type === 'number' ? 'numeric' : undefined, hint: p.description ? 1 : undefined,
        }), p.description ? `${p.description} (${p.type})` : `(${p.type})`)));
    showTemplateCaps(t);
  }

  const entryOf = (image) => (images && images.reported ? images.images.find((i) => i.image === image) : null);
  const left = (value, format) => (value === null || value === undefined ? 'unlimited' : format(value));

  /** The chosen image's caps and defaults, and the quota left, beside the memory and CPU fields. */
  function showLimits() {
    const image = form.querySelector('#image').value.trim();
    const entry = entryOf(image);
    const remaining = me ? me.remaining : null;
    clear(imageNote, images && images.reported && image && !entry
      ? `${image} is not on the worker's allowlist: the worker would refuse it (image_not_allowed).` : '');
    const memoryText = form.querySelector('#memory_limit').value.trim();
    const cpuText = form.querySelector('#cpu_limit').value.trim();
    const memory = parseMemory(memoryText);
    const cpu = Number(cpuText);
    clear(memoryLimits,
      entry ? ['Cap for ', entry.image, ': ', figure('memory-cap', entry.max_memory_bytes, bytes(entry.max_memory_bytes)),
        '; default ', figure('memory-default', entry.default_memory_bytes, bytes(entry.default_memory_bytes)), '. '] : '',
      remaining ? ['Memory left in your quota: ', figure('memory-left', remaining.memory_bytes ?? '', left(remaining.memory_bytes, bytes)), '.'] : '',
      entry && memoryText && memory > entry.max_memory_bytes ? el('span', { class: 'warn' }, ' Above the cap: the worker would refuse it (limit_exceeded).') : '');
    clear(cpuLimits,
      entry ? ['Cap for ', entry.image, ': ', figure('cpu-cap', entry.max_cpus, `${cpus(entry.max_cpus)} CPU`),
        '; default ', figure('cpu-default', entry.default_cpus, `${cpus(entry.default_cpus)} CPU`), '. '] : '',
      remaining ? ['CPUs left in your quota: ', figure('cpu-left', remaining.cpus ?? '', left(remaining.cpus, (n) => `${cpus(n)} CPU`)), '.'] : '',
      entry && cpuText && cpu > entry.max_cpus ? el('span', { class: 'warn' }, ' Above the cap: the worker would refuse it (limit_exceeded).') : '');
  }

  /** A template's images with their caps and defaults (it names no limits of its own here), and the quota left. */
  function showTemplateCaps(t) {
    const entries = (t ? t.images || [] : []).map((image) => [image, entryOf(image)]);
    clear(templateCaps,
      entries.map(([image, entry], i) => [i ? ' ' : '', entry
        ? [`Runs ${image}: cap `, figure(`template-memory-cap-${i}`, entry.max_memory_bytes, bytes(entry.max_memory_bytes)), ' and ',
          figure(`template-cpu-cap-${i}`, entry.max_cpus, `${cpus(entry.max_cpus)} CPU`), `, default ${bytes(entry.default_memory_bytes)} and ${cpus(entry.default_cpus)} CPU.`]
        : `Runs ${image}.`]),
      me && me.remaining ? [' Left in your quota: ', left(me.remaining.services, String), ' services, ', left(me.remaining.memory_bytes, bytes), ' of memory, ',
        left(me.remaining.cpus, (n) => `${cpus(n)} CPU`), '.'] : '');
  }

  async function loadSide() {
    const [meResult, imagesResult, templatesResult] = await Promise.allSettled([api('/me'), api('/images'), api('/templates')]);
    if (meResult.status === 'fulfilled') {
      me = meResult.value;
      const q = me.quota, u = me.usage, r = me.remaining;
      const line = (id, label, used, max, rest, format) => [el('dt', {}, label),
        el('dd', {}, max === null || max === undefined ? `${format(used)} in use, no limit`
          : [`${format(used)} of ${format(max)} in use, `, figure(id, rest, format(rest)), ' left'])];
      clear(quota,
        line('quota-services-left', 'Services', u.services, q.max_services, r.services, (n) => String(n)),
        line('quota-memory-left', 'Memory', u.memory_bytes, q.max_memory_bytes, r.memory_bytes, bytes),
        line('quota-cpus-left', 'CPUs', u.cpus, q.max_cpus, r.cpus, cpus));
    } else {
      clear(quota, el('dt', {}, 'Quota'), el('dd', {}, `unavailable: ${meResult.reason.message}`));
    }
    if (imagesResult.status === 'fulfilled' && imagesResult.value.reported) {
      images = imagesResult.value;
      clear(imageHints, images.images.map((i) => el('option', { value: i.image })));
      clear(caps, images.images.map((i) => [el('dt', {}, i.image),
        el('dd', {}, `up to ${bytes(i.max_memory_bytes)} and ${cpus(i.max_cpus)} CPU; default ${bytes(i.default_memory_bytes)} and ${cpus(i.default_cpus)} CPU; port ${i.internal_port}`)]));
    } else {
      clear(caps, el('dt', {}, 'Caps'), el('dd', {}, imagesResult.status === 'fulfilled'
        ? 'No worker reported its allowlist lately: unknown here (the worker still applies them).'
        : `unavailable: ${imagesResult.reason.message}`));
    }
    if (templatesResult.status === 'fulfilled') {
      templates = templatesResult.value.filter((t) => (t.services || []).length <= 1);
      clear(templateSelect, templates.map((t) => el('option', { value: `${t.name}@${t.version}` }, `${t.name} v${t.version}`)));
    } else {
      clear(templateSelect, el('option', { value: '' }, 'no templates'));
    }
    showParams();
    showLimits();
  }

  function clearErrors() {
    for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
    for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
    outcome.replaceChildren();
    outcome.className = 'notice';
  }

  function showError(key, message) {
    const id = key.startsWith('params.') ? `param-${key.slice(7)}` : key;
    const target = form.querySelector(`#${CSS.escape(id)}-error`);
    if (!target) return false;
    target.textContent = message;
    form.querySelector(`#${CSS.escape(id)}`)?.setAttribute('aria-invalid', 'true');
    return true;
  }

  function body() {
    const value = (id) => form.querySelector(`#${id}`).value.trim();
    const b = { service_name: value('service_name') };
    if (form.querySelector('#source-template').checked) {
      const [name, version] = templateSelect.value.split('@');
      b.template = name;
      b.version = Number(version);
      b.params = {};
      for (const p of templateParams.querySelectorAll('[data-param]')) if (p.value.trim()) b.params[p.dataset.param] = p.value.trim();
      return b;
    }
    b.image = value('image');
    if (value('memory_limit')) b.memory_limit = value('memory_limit');
    if (value('cpu_limit')) b.cpu_limit = Number(value('cpu_limit'));
    if (value('internal_port')) b.internal_port = Number(value('internal_port'));
    if (value('restart')) b.restart = value('restart');
    const env = value('env');
    if (env) {
      b.env = {};
      for (const line of env.split('\n').map((l) => l.trim()).filter(Boolean)) {
        const eq = line.indexOf('=');
        b.env[eq < 0 ? line : line.slice(0, eq)] = eq < 0 ? '' : line.slice(eq + 1);
      }
    }
    return b;
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    try {
      const created = await api('/services', { method: 'POST', body: body() });
      if (created.generated_secrets) {
        notice(outcome, 'Created. Generated secrets, shown only now: ', 'ok');
        outcome.append(el('pre', {}, Object.entries(created.generated_secrets).map(([k, v]) => `${k}=${v}`).join('\n')),
          el('a', { href: `#/services/${created.service_id}` }, `Open ${created.service_name}`));
      } else {
        location.hash = `#/services/${created.service_id}`;
      }
    } catch (e) {
      if (!(e instanceof ApiError)) { notice(outcome, e.message, 'bad'); return; }
      let placed = false;
      for (const [key, messages] of Object.entries(e.fieldErrors)) placed = showError(key, messages.join(' ')) || placed;
      if (!placed && e.status === 409) placed = showError('service_name', e.message);
      if (!placed && /\$\.(\w+)/.test(e.message)) placed = showError(e.message.match(/\$\.(\w+)/)[1], e.message);
      notice(outcome, placed ? `${e.problem.title || 'Refused'}: see the fields marked below.` : `${e.problem.title || 'Refused'}: ${e.message}`, 'bad');
      (form.querySelector('[aria-invalid=true]') || outcome).focus?.();
    }
  }

  loadSide();
  return () => {};
}
