#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Seed corpora for the fuzz targets, generated from tests/cases/ (decision
# cases, policy cases and their settings) and the bundled example policy, in
# each target's input format (see the comment at the top of fuzz_TARGET.c).
# Usage: seeds.py SRCDIR TARGET OUTDIR. Written to the build directory only.
import base64
import json
import os
import sys

src, target, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
cases_dir = os.path.join(src, "tests/cases/decisions")


def cases():
    """(name, headers dict, body bytes or None) for every decision case."""
    for name in sorted(os.listdir(cases_dir)):
        if not name.endswith(".case"):
            continue
        raw = open(os.path.join(cases_dir, name), "rb").read()
        head, body = raw, None
        marker = raw.find(b"\nbody:\n")
        if raw.startswith(b"body:\n"):
            head, body = b"", raw[6:]
        elif marker >= 0:
            head, body = raw[:marker], raw[marker + 7:]
        hdr = {}
        for line in head.decode("utf-8", "replace").splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            k, v = line.split(":", 1)
            hdr.setdefault(k.strip(), v.strip())
        fix = lambda b: b.replace(b"@TMP@", b"/tmp/lockset-fuzz")
        yield name[:-5], hdr, fix(body) if body is not None else None


def policies():
    """Every policy-shaped JSON file: policy cases, settings, examples."""
    dirs = ["tests/cases/policy/valid", "tests/cases/policy/invalid",
            "tests/cases/decisions/settings", "schema/examples"]
    for d in dirs:
        for name in sorted(os.listdir(os.path.join(src, d))):
            if name.endswith(".json"):
                yield d.split("/")[-1] + "-" + name[:-5], open(os.path.join(src, d, name), "rb").read()


def envelope(hdr, body):
    env = {"User": hdr.get("user", ""), "UserAuthNMethod": "",
           "RequestMethod": hdr.get("method", "POST"),
           "RequestUri": hdr.get("uri", "/").replace("@TMP@", "/tmp/lockset-fuzz")}
    if body is not None:
        env["RequestBody"] = base64.b64encode(body).decode()
    env["RequestHeaders"] = {"Content-Type": hdr["content-type"]} if "content-type" in hdr else {}
    return json.dumps(env).encode()


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


if target in ("gojson", "gojson_diff"):
    for name, hdr, body in cases():
        if body:
            write(name, body)
    for name, text in policies():
        write(name, text)
elif target == "engineapi":
    for name, hdr, body in cases():
        line = "%s\n%s\n" % (hdr.get("method", ""), hdr.get("uri", "").replace("@TMP@", "/tmp/lockset-fuzz"))
        data = line.encode()
        if body is not None:
            data += hdr.get("content-type", "").encode() + b"\n" + body
        write(name, data)
elif target == "authzreq":
    for name, hdr, body in cases():
        write(name, envelope(hdr, body))
elif target == "policy":
    for name, text in policies():
        write(name, text)
elif target == "http":
    for name, hdr, body in cases():
        write("authz-" + name, b"authz\nPOST\n/AuthZPlugin.AuthZReq\n\n" + envelope(hdr, body))
        req = {"method": hdr.get("method", "POST"), "uri": hdr.get("uri", "/"), "user": "alice"}
        if body is not None:
            try:
                req["body"] = json.loads(body)
            except ValueError:
                req["body"] = body.decode("utf-8", "replace")
        write("decision-" + name, b"api\nPOST\n/v1/decisions\nContent-Type: application/json\n\n"
              + json.dumps(req).encode())
    for name, text in policies():
        write("policy-" + name, b"api\nPUT\n/v1/policy\nContent-Type: application/json\n\n" + text)
# Other targets (auditquery) have committed seeds only.
