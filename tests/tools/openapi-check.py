#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Checks schema/openapi.json against the daemon:
#   openapi-check.py routes SPEC ROUTES ERRORS
#     the spec is well formed (every $ref resolves, every schema is valid JSON
#     Schema 2020-12) and agrees with the route table (tests/tools/routes
#     --patterns) and the error vocabulary (tests/tools/routes --errors) both ways;
#   openapi-check.py replies SPEC TSV DIR
#     every recorded reply (TSV lines "ID METHOD URL STATUS CONTENT-TYPE", the
#     body in DIR/ID) is documented for its operation and status, and its JSON
#     body validates against the response schema. A URL "docker-proxy:/..." is
#     a reply of the docker socket proxy, checked against its path item.
# The docker proxy's path item (x-lockset-listener docker-proxy) stands for
# the whole Docker Engine API: it is not in the route table, documents only
# the proxy's own answers, and "default" for the engine's.
# Prints "not ok - ..." per problem and exits 1 when there is any.
import json
import os
import re
import sys

try:
    import jsonschema
except ImportError:  # the caller decides whether that is a skip
    jsonschema = None

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
MAX_BODY = 4 * 1024 * 1024  # replies larger than this are checked by status only


class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = json.load(f)
        self.problems = []

    def bad(self, msg):
        self.problems.append(msg)

    def resolve(self, ref):
        """The object a local $ref ("#/a/b") points to, or None."""
        if not ref.startswith("#/"):
            return None
        node = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def deref(self, node):
        """Follow $ref chains of a parameter, response or similar object."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 10:
            node = self.resolve(node["$ref"])
            seen += 1
        return node

    def operations(self):
        for path, item in self.doc.get("paths", {}).items():
            for method in METHODS:
                if method in item:
                    yield path, method, item, item[method]

    def error_codes_of(self, response):
        """The error codes a response's schema allows, or None if not an error."""
        response = self.deref(response)
        try:
            sch = response["content"]["application/json"]["schema"]
        except (KeyError, TypeError):
            return None
        for part in sch.get("allOf", []):
            code = part.get("properties", {}).get("error", {}).get("properties", {}).get("code")
            if code is not None:
                return [code["const"]] if "const" in code else list(code.get("enum", []))
        return None


def walk_refs(spec, node, where):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and spec.resolve(ref) is None:
            spec.bad("%s: $ref %s does not resolve" % (where, ref))
        for k, v in node.items():
            walk_refs(spec, v, where + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_refs(spec, v, "%s/%d" % (where, i))


def check_schemas(spec):
    if jsonschema is None:
        return
    for name, sch in spec.doc.get("components", {}).get("schemas", {}).items():
        try:
            jsonschema.Draft202012Validator.check_schema(sch)
        except jsonschema.SchemaError as e:
            spec.bad("components/schemas/%s is not valid JSON Schema: %s" % (name, e.message))


def read_table(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(line.split())
    return rows


def check_operation(spec, route, op, item):
    method, path, role, listener, body = route
    where = "%s %s" % (method, path)
    if op.get("x-lockset-role") != role:
        spec.bad("%s: x-lockset-role is %r, the route table says %s"
                 % (where, op.get("x-lockset-role"), role))
    if (item.get("x-lockset-listener", "api")) != listener:
        spec.bad("%s: x-lockset-listener is %r, the route table says %s"
                 % (where, item.get("x-lockset-listener", "api"), listener))
    params = [spec.deref(p) for p in op.get("parameters", []) + item.get("parameters", [])]
    declared = {p["name"] for p in params if p and p.get("in") == "path" and p.get("required")}
    wanted = set(re.findall(r"\{([^}]+)\}", path))
    if declared != wanted:
        spec.bad("%s: path parameters declared %s, the path has %s"
                 % (where, sorted(declared), sorted(wanted)))
    if (body != "none") != ("requestBody" in op):
        spec.bad("%s: the route %s a body but the spec %s one" % (
            where, "reads" if body != "none" else "reads no",
            "describes" if "requestBody" in op else "does not describe"))
    responses = op.get("responses", {})
    if not any(s[0] in "23" for s in responses):
        spec.bad("%s: no 2xx or 3xx response" % where)
    if listener == "api" and role != "none":
        for status, code in (("401", "unauthorized"), ("403", "forbidden")):
            if code not in (spec.error_codes_of(responses.get(status, {})) or []):
                spec.bad("%s: needs role %s but does not document %s %s"
                         % (where, role, status, code))
        if op.get("security") == []:
            spec.bad("%s: needs role %s but has security: []" % (where, role))
    if role == "none" and op.get("security") != []:
        spec.bad("%s: needs no credentials but does not say security: []" % where)
    if listener == "api" and body == "json":
        if "invalid_json" not in (spec.error_codes_of(responses.get("400", {})) or []):
            spec.bad("%s: parses a JSON body but does not document 400 invalid_json" % where)


PROXY = "docker-proxy"
PROXY_STATUSES = {"400", "403", "413", "502", "503", "default"}
# A body read whole to be judged (creates, forms) may find the memory for
# such bodies taken: 429. Only requests with a body are read whole.
PROXY_BODY_STATUSES = {"429"}


def check_proxy_operation(spec, path, method, op):
    where = "%s %s (docker proxy)" % (method.upper(), path)
    got = set(op.get("responses", {}))
    want = PROXY_STATUSES | (PROXY_BODY_STATUSES if method in ("post", "put") else set())
    if got != want:
        spec.bad("%s: documents %s, the proxy answers %s"
                 % (where, ", ".join(sorted(got)), ", ".join(sorted(want))))
    if op.get("security") != []:
        spec.bad("%s: the proxy takes no credentials (security: [])" % where)


def check_routes(spec_path, routes_path, errors_path):
    spec = Spec(spec_path)
    if not str(spec.doc.get("openapi", "")).startswith("3.1"):
        spec.bad("openapi is %r, expected 3.1.x" % spec.doc.get("openapi"))
    walk_refs(spec, spec.doc, "#")
    check_schemas(spec)
    vocab = {code: status for code, status in read_table(errors_path)}
    enum = spec.doc["components"]["schemas"]["ErrorCode"].get("enum", [])
    for code in sorted(set(vocab) - set(enum)):
        spec.bad("error code %s (reply.c) is missing from ErrorCode" % code)
    for code in sorted(set(enum) - set(vocab)):
        spec.bad("ErrorCode %s is not in the error vocabulary (reply.c)" % code)
    routes = {}
    for row in read_table(routes_path):
        method, path = row[0].lower(), row[1]
        routes[(method, path)] = row
    ops = {}
    for path, method, item, op in spec.operations():
        if item.get("x-lockset-listener") == PROXY:
            check_proxy_operation(spec, path, method, op)
            continue
        ops[(method, path)] = (op, item)
        for status, resp in op.get("responses", {}).items():
            for code in spec.error_codes_of(resp) or []:
                if code in vocab and vocab[code] != status:
                    spec.bad("%s %s: response %s lists %s, which is %s"
                             % (method.upper(), path, status, code, vocab[code]))
    ids = [op.get("operationId") for (_, _, _, op) in spec.operations()]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        spec.bad("operationId %s is used more than once" % dup)
    for key, row in sorted(routes.items()):
        if key not in ops:
            spec.bad("%s %s is in the route table but not in schema/openapi.json" % (row[0], row[1]))
            continue
        check_operation(spec, row, ops[key][0], ops[key][1])
    for method, path in sorted(set(ops) - set(routes)):
        spec.bad("%s %s is in schema/openapi.json but not in the route table" % (method.upper(), path))
    for p in spec.problems:
        print("not ok - " + p)
    print("# %d routes, %d operations, %d error codes checked" % (len(routes), len(ops), len(vocab)))
    return 1 if spec.problems else 0


# ----------------------------------------------------------------------------
# Replies

def match_path(spec, url_path, listener="api"):
    """The spec path template that url_path matches, preferring literal
    segments; for the docker proxy, its one path item, whatever the path."""
    if listener == PROXY:
        return next((t for t, item in spec.doc.get("paths", {}).items()
                     if item.get("x-lockset-listener") == PROXY), None)
    segs = url_path.split("/")
    best, best_score = None, -1
    for tmpl, item in spec.doc.get("paths", {}).items():
        if item.get("x-lockset-listener") == PROXY:
            continue
        tsegs = tmpl.split("/")
        if len(tsegs) != len(segs):
            continue
        score = 0
        for t, s in zip(tsegs, segs):
            if t.startswith("{") and t.endswith("}"):
                if s == "":
                    break
            elif t != s:
                break
            else:
                score += 1
        else:
            if score > best_score:
                best, best_score = tmpl, score
    return best


def pointer(*parts):
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def validate_body(spec, schema_ptr, instance):
    """Validation errors of instance against the schema at schema_ptr."""
    root = dict(spec.doc)
    root["$ref"] = schema_ptr
    v = jsonschema.Draft202012Validator(root)
    return sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))


def check_reply(spec, method, url, status, ctype, body_path):
    """None when the reply conforms, "skip" when the spec has no operation for
    it, else the reason it does not conform."""
    listener = "api"
    if url.startswith(PROXY + ":"):
        listener, url = PROXY, url[len(PROXY) + 1:]
    path = url.split("?", 1)[0]
    tmpl = match_path(spec, path, listener)
    if tmpl is None:
        return "skip"
    item = spec.doc["paths"][tmpl]
    if listener == "api" and item.get("x-lockset-listener", "api") != "api":
        # Replies are recorded on the API listener, where plugin routes do not exist.
        return None if status == "404" else "%s is not served on the API listener, yet got %s" % (
            tmpl, status)
    op_method = "get" if method == "HEAD" else method.lower()
    if op_method not in item:
        if status == "405":
            return None
        return "skip"
    if status == "000":
        return None  # the client gave up (a long-poll cut short): nothing to check
    responses = item[op_method].get("responses", {})
    resp_ptr = [ "paths", tmpl, op_method, "responses", status]
    resp = responses.get(status)
    if resp is None and listener == PROXY and "default" in responses:
        return "the engine's status %s, but no engine was there to answer" % status if (
            status in ("400", "403", "413", "502", "503")) else None
    if resp is None:
        return "status %s is not documented for %s %s" % (status, method, tmpl)
    if "$ref" in resp:
        ref = resp["$ref"]
        resp = spec.resolve(ref)
        resp_ptr = ref[2:].split("/")
    size = os.path.getsize(body_path) if os.path.exists(body_path) else 0
    content = resp.get("content")
    if size == 0:
        if content and method != "HEAD" and status not in ("204", "304"):
            return "an empty body, but the spec describes %s" % ", ".join(content)
        return None
    if not content:
        return "a body, but the spec describes none for %s" % status
    media = ctype.split(";")[0].strip().lower()
    if media not in content:
        return "Content-Type %s is not one of %s" % (media or "(none)", ", ".join(content))
    if size > MAX_BODY:
        return None
    with open(body_path, "rb") as f:
        raw = f.read()
    entry = content[media]
    ptr = pointer(*(resp_ptr + ["content", media]))
    if media.endswith("json") and media != "application/x-ndjson":
        try:
            docs = [json.loads(raw)]
        except ValueError as e:
            return "the body is not JSON: %s" % e
        ptr += "/schema"
    elif "x-lockset-item-schema" in entry:
        try:
            docs = [json.loads(line) for line in raw.splitlines() if line.strip()]
        except ValueError as e:
            return "a line of the body is not JSON: %s" % e
        ptr += "/x-lockset-item-schema"
    else:
        return None
    for d in docs:
        errs = validate_body(spec, ptr, d)
        if errs:
            e = errs[0]
            at = "/" + "/".join(str(p) for p in e.absolute_path)
            return "body%s: %s" % (at if at != "/" else "", e.message[:300])
    return None


def check_replies(spec_path, tsv, body_dir):
    spec = Spec(spec_path)
    checked = skipped = failed = 0
    with open(tsv, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 5:
                continue
            rid, method, url, status, ctype = parts[:5]
            why = check_reply(spec, method, url, status, ctype, os.path.join(body_dir, rid))
            if why == "skip":
                skipped += 1
                print("# not in schema/openapi.json (see test_openapi): %s %s" % (method, url))
            elif why is not None:
                failed += 1
                print("not ok - reply to %s %s (%s): %s" % (method, url, status, why))
            else:
                checked += 1
    print("# %d replies match schema/openapi.json, %d do not, %d not described"
          % (checked, failed, skipped))
    return 1 if failed else 0


def main(argv):
    if len(argv) == 5 and argv[1] == "routes":
        return check_routes(argv[2], argv[3], argv[4])
    if len(argv) == 5 and argv[1] == "replies":
        if jsonschema is None:
            print("# python3-jsonschema is not installed")
            return 77
        return check_replies(argv[2], argv[3], argv[4])
    sys.stderr.write("usage: openapi-check.py routes SPEC ROUTES ERRORS | replies SPEC TSV DIR\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
