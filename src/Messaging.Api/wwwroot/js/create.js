// The create form: an image of the allowlist, or a template with its typed parameters. The API's problem details
// are shown next to the field they name; the quota left comes from GET /api/v1/me.
import { api, ApiError } from './api.js';
import { el, clear, bytes, notice } from './dom.js';

const IMAGE_HINTS = ['nginx:alpine'];

export function createView(root) {
  const outcome = el('div', { class: 'notice', role: 'alert' });
  const quota = el('dl', { class: 'facts' });
  const templateParams = el('div', { class: 'params' });
  const templateSelect = el('select', { id: 'template', name: 'template', onchange: () => showParams() });
  let templates = [];

  const field = (id, label, input, hint) => el('div', { class: 'field', dataset: { field: id } },
    el('label', { for: id }, label), input,
    hint ? el('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    el('p', { class: 'field-error', id: `${id}-error` }));
  const input = (id, attrs = {}) => el('input', { id, name: id, 'aria-describedby': `${id}-error ${attrs.hint ? `${id}-hint` : ''}`.trim(), ...attrs });

  const imageFields = el('fieldset', { id: 'image-fields' },
    el('legend', {}, 'Image and limits'),
    field('image', 'Image', input('image', { list: 'image-hints', value: 'nginx:alpine', autocomplete: 'off', hint: 1 }),
      'An image of the worker\'s allowlist; others are refused by the worker (status failed, image_not_allowed).'),
    el('datalist', { id: 'image-hints' }, IMAGE_HINTS.map((i) => el('option', { value: i }))),
    field('memory_limit', 'Memory limit', input('memory_limit', { placeholder: 'e.g. 64m (empty: the image\'s default)', hint: 1 }),
      'A size with b, k, m or g; at most the image\'s cap.'),
    field('cpu_limit', 'CPU limit (cores)', input('cpu_limit', { inputmode: 'decimal', placeholder: 'e.g. 0.25' })),
    field('internal_port', 'Container port', input('internal_port', { inputmode: 'numeric', placeholder: 'the image\'s default' })),
    field('env', 'Environment (NAME=value, one a line)', el('textarea', { id: 'env', name: 'env', rows: 3, 'aria-describedby': 'env-error' })),
    field('restart', 'Restart policy', el('select', { id: 'restart', name: 'restart', 'aria-describedby': 'restart-error' },
      el('option', { value: '' }, 'the image\'s default'), ['never', 'on-failure', 'always'].map((v) => el('option', { value: v }, v)))));

  const templateFields = el('fieldset', { id: 'template-fields', hidden: true },
    el('legend', {}, 'Template'),
    field('template', 'Template', templateSelect),
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
        el('aside', { 'aria-labelledby': 'quota-title' }, el('h2', { id: 'quota-title' }, 'Your quota'), quota))));

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
  }

  async function loadSide() {
    try {
      const me = await api('/me');
      const q = me.quota, u = me.usage;
      const line = (label, used, max, format) => [el('dt', {}, label),
        el('dd', {}, max === null || max === undefined ? `${format(used)} in use, no limit`
          : `${format(used)} of ${format(max)} in use, ${format(Math.max(0, max - used))} left`)];
      clear(quota,
        line('Services', u.services, q.max_services, (n) => String(n)),
        line('Memory', u.memory_bytes, q.max_memory_bytes, bytes),
        line('CPUs', u.cpus, q.max_cpus, (n) => String(Math.round(n * 100) / 100)));
    } catch (e) {
      clear(quota, el('dd', {}, `Quota unavailable: ${e.message}`));
    }
    try {
      templates = (await api('/templates')).filter((t) => (t.services || []).length <= 1);
      clear(templateSelect, templates.map((t) => el('option', { value: `${t.name}@${t.version}` }, `${t.name} v${t.version}`)));
      showParams();
    } catch {
      clear(templateSelect, el('option', { value: '' }, 'no templates'));
    }
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
