// SPDX-License-Identifier: Apache-2.0
// The policy schema (schema/admin-settings.schema.json, served by the daemon
// at /ui/admin-settings.schema.json from the copy it validates with): loading,
// $ref resolution, defaults, and a validator for the keywords the schema uses,
// so the editor flags a problem as it is typed. The daemon stays the judge:
// its 422 details are shown the same way.

let cached = null;

export async function loadSchema() {
  if (cached) return cached;
  const res = await fetch('admin-settings.schema.json', { cache: 'no-cache', credentials: 'omit' });
  if (!res.ok) throw new Error('the policy schema could not be loaded (HTTP ' + res.status + ')');
  cached = await res.json();
  return cached;
}

// node with its "$ref" (local, "#/$defs/x") merged in; siblings win.
export function resolve(root, node) {
  if (!node || typeof node !== 'object' || typeof node.$ref !== 'string') return node || {};
  const path = node.$ref.replace(/^#\//, '').split('/');
  let target = root;
  for (const p of path) target = target ? target[p] : undefined;
  const out = Object.assign({}, resolve(root, target));
  for (const [k, v] of Object.entries(node)) if (k !== '$ref') out[k] = v;
  return out;
}

export function types(node) {
  if (!node || node.type === undefined) return [];
  return Array.isArray(node.type) ? node.type : [node.type];
}

// RFC 6901 pointer escaping.
export function pointer(parts) {
  return parts.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function describe(v) {
  const s = JSON.stringify(v);
  if (isObj(v)) return 'an object';
  if (Array.isArray(v)) return 'an array';
  return s.length > 60 ? s.slice(0, 57) + '\u2026' : s;
}

function typeMatches(t, v) {
  const have = typeOf(v);
  return t === have || (t === 'number' && have === 'integer');
}

function checkString(node, v, path, out) {
  if (typeof node.minLength === 'number' && [...v].length < node.minLength) {
    out.push({ path, message: node.minLength === 1 ? 'expected a non-empty string; found ' + describe(v)
      : 'expected a string of at least ' + node.minLength + ' characters; found ' + describe(v) });
  }
  if (typeof node.pattern === 'string') {
    let re = null;
    try { re = new RegExp(node.pattern, 'u'); } catch (e) { re = null; }
    if (re && !re.test(v)) out.push({ path, message: 'expected ' + (node['x-lockset-expected'] || 'a string matching ' + node.pattern) + '; found ' + describe(v) });
  }
  if (node['x-lockset-format'] === 'json-object') {
    let ok = false;
    try { ok = isObj(JSON.parse(v)); } catch (e) { ok = false; }
    if (!ok) out.push({ path, message: 'expected ' + (node['x-lockset-expected'] || 'a string holding a JSON object') + '; found ' + describe(v) });
  }
}

function checkObject(root, node, v, parts, out, warns) {
  for (const req of node.required || []) {
    if (!(req in v)) out.push({ path: pointer(parts.concat(req)), message: 'no value' });
  }
  const props = node.properties || {};
  for (const [k, sub] of Object.entries(v)) {
    if (props[k]) {
      check(root, props[k], sub, parts.concat(k), out, warns);
    } else if (node.additionalProperties === false) {
      out.push({ path: pointer(parts.concat(k)), message: 'unknown key "' + k + '"' });
    } else if (node['x-lockset-unknown'] === 'warn' && warns) {
      warns.push({ path: pointer(parts.concat(k)), message: 'unknown key "' + k + '": kept, but not interpreted by this version' });
    }
  }
}

function check(root, raw, v, parts, out, warns) {
  const node = resolve(root, raw);
  const path = pointer(parts);
  const ts = types(node);
  if (ts.length > 0 && !ts.some((t) => typeMatches(t, v))) {
    out.push({ path, message: 'expected ' + ts.join(' or ') + '; found ' + describe(v) });
    return;
  }
  if ('const' in node && JSON.stringify(node.const) !== JSON.stringify(v)) {
    out.push({ path, message: 'expected ' + JSON.stringify(node.const) + '; found ' + describe(v) });
    return;
  }
  if (Array.isArray(node.enum) && !node.enum.some((e) => e === v)) {
    const noun = node['x-lockset-enum-noun'];
    out.push({ path, message: noun ? 'unknown ' + noun + ' ' + describe(v) : 'expected one of ' + node.enum.map((e) => JSON.stringify(e)).join(', ') + '; found ' + describe(v) });
    return;
  }
  if (typeof v === 'number') {
    if (typeof node.minimum === 'number' && v < node.minimum) out.push({ path, message: 'expected a number >= ' + node.minimum + '; found ' + v });
    if (typeof node.maximum === 'number' && v > node.maximum) out.push({ path, message: 'expected a number <= ' + node.maximum + '; found ' + v });
  }
  if (typeof v === 'string') checkString(node, v, path, out);
  if (isObj(v)) checkObject(root, node, v, parts, out, warns);
  if (Array.isArray(v) && node.items) v.forEach((item, i) => check(root, node.items, item, parts.concat(i), out, warns));
}

// Every problem in doc as [{path, message}]; warnings (unknown keys that are
// kept) go to warns when given.
export function validate(root, doc, warns) {
  const out = [];
  check(root, root, doc, [], out, warns);
  return out;
}

// The built-in default of a node (its "default"), or undefined.
export function defaultOf(root, node) {
  const n = resolve(root, node);
  return n && 'default' in n ? structuredClone(n.default) : undefined;
}
