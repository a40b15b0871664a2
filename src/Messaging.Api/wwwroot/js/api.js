// The only way the dashboard reaches the system: the public REST API with the signed-in token.
// The token lives in this tab's sessionStorage: never in a URL, a cookie or a log line.
const TOKEN_KEY = 'messaging.dashboard.token';

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  signIn(token) { sessionStorage.setItem(TOKEN_KEY, token); },
  signOut() { sessionStorage.removeItem(TOKEN_KEY); },
};

/** A refusal of the API, with its problem details (RFC 9457) when it sent them. */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  /** Messages keyed by field name (a validation problem's `errors`). */
  get fieldErrors() { return this.problem.errors || {}; }
}

let unauthorized = () => {};
/** What to do when the token stops working (revoked, expired): the app signs out. */
export function onUnauthorized(handler) { unauthorized = handler; }
export function reportUnauthorized() { unauthorized(); }

export async function api(path, { method = 'GET', body, signal, token = session.token } = {}) {
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/api/v1${path}`, {
    method, headers, signal, cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get('content-type') || '';
  const data = response.status === 204 ? null : type.includes('json') ? await response.json() : await response.text();
  if (response.status === 401 && token === session.token) unauthorized();
  if (!response.ok) throw new ApiError(response.status, typeof data === 'object' ? data : { detail: data });
  return data;
}

/** Every page of a cursor-paged list. */
export async function all(path, limit = 200) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}
