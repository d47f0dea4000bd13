// SPDX-License-Identifier: Apache-2.0
// The REST client of the admin console. Every call carries the bearer token;
// a 401 on a signed-in session means the token was revoked or expired, so the
// session ends. Errors have the daemon's one JSON shape:
// {"error": {"code", "message", "details": [{"path", "message"}]}}.
import { el } from './dom.js';

export const session = {
  token: null,
  role: null,
  onUnauthorized: null, // set by app.js
};

export async function api(method, path, opts) {
  opts = opts || {};
  const headers = new Headers(opts.headers || {});
  if (session.token) headers.set('Authorization', 'Bearer ' + session.token);
  let body;
  if (opts.body !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(path, {
      method, headers, body, cache: 'no-store', credentials: 'omit', redirect: 'error',
      signal: opts.signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    return { status: 0, ok: false, headers: new Headers(), data: null, text: '', netError: true };
  }
  const out = { status: res.status, ok: res.ok, headers: res.headers, data: null, text: '' };
  if (opts.blob && res.ok) {
    out.blob = await res.blob();
    return out;
  }
  out.text = await res.text();
  if ((res.headers.get('Content-Type') || '').includes('json') && out.text) {
    try { out.data = JSON.parse(out.text); } catch (e) { out.data = null; }
  }
  if (res.status === 401 && session.token && !opts.signingIn && session.onUnauthorized) {
    session.onUnauthorized('Your token is no longer accepted (revoked or expired). Sign in again.');
  }
  return out;
}

// One line explaining a failed call: the API's own message where it gave one.
export function errorText(r, what) {
  if (r.netError) return 'Cannot reach the lockset daemon' + (what ? ' (' + what + ')' : '') + '.';
  const err = r.data && r.data.error;
  let msg = err && err.message ? err.message : (r.text || '').trim().slice(0, 200);
  if (r.status === 403) {
    msg = 'Your token\u2019s role (' + (session.role || 'unknown') + ') may not do this' + (err && err.message ? ': ' + err.message : '') + '.';
  } else if (r.status === 404 && what) {
    msg = what + ' is not available on this server (404).';
  } else if (r.status === 429) {
    msg = 'Too many failed attempts from this address; wait a minute and try again.';
  }
  return (err && err.code ? err.code + ' (' + r.status + '): ' : 'HTTP ' + r.status + ': ') + msg;
}

export function errorDetails(r) {
  const err = r && r.data && r.data.error;
  return err && Array.isArray(err.details) ? err.details : [];
}

export function detailsList(details) {
  if (!Array.isArray(details) || details.length === 0) return null;
  return el('ul', { class: 'problems' }, details.map((d) => el('li', null,
    el('span', { class: 'pointer', text: d.path === '' || d.path === undefined ? '/' : d.path }),
    d.line ? el('span', { class: 'muted', text: 'line ' + d.line + ', column ' + d.column + ': ' }) : null,
    String(d.message || ''))));
}

// Header values must be Latin-1; anything else goes in ?comment=.
export function commentArgs(comment, headers, params) {
  if (!comment) return;
  if (/^[\x20-\x7e]*$/.test(comment)) headers['X-Lockset-Comment'] = comment;
  else params.comment = comment;
}
