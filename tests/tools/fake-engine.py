#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A fake Docker Engine on a Unix socket, for recording what the real docker
CLI sends. It answers just enough of the Engine API for `docker create`,
`exec`, `pull`, `load`, `build`, `volume create` and `plugin install` to
complete, and appends every request (method, uri, base64 body) to a JSON-lines
file.

  fake-engine.py serve --socket /tmp/x.sock --record /tmp/requests.jsonl
  fake-engine.py emit --record FILE --match REGEX --out CASE --settings S \
      --expect allow|deny --rules "a b" --source "docker create ..."

`emit` writes the last recorded request whose "METHOD uri" matches REGEX as a
decision case file (see tests/cases/decisions/README.md).
"""
import argparse
import base64
import http.server
import json
import os
import re
import secrets
import socketserver
import sys

API_VERSION = "1.41"


def hexid():
    return secrets.token_hex(32)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-engine/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data, True
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or 0)
        return (self.rfile.read(n) if n > 0 else b""), n > 0

    def record(self, body, has_body):
        with open(self.server.record, "a") as f:
            f.write(json.dumps({"method": self.command, "uri": self.path,
                                "content_type": self.headers.get("Content-Type", ""),
                                "has_body": has_body,
                                "body": base64.b64encode(body).decode()}) + "\n")

    def reply(self, status, obj=None, raw=None, ctype="application/json"):
        data = raw if raw is not None else (b"" if obj is None else json.dumps(obj).encode() + b"\n")
        self.send_response(status)
        self.send_header("API-Version", API_VERSION)
        self.send_header("OSType", "linux")
        self.send_header("Docker-Experimental", "false")
        self.send_header("Builder-Version", "1")
        if status != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and status != 204:
            self.wfile.write(data)

    def route(self):
        body, has_body = self.read_body()
        self.record(body, has_body)
        p = re.sub(r"^/v[0-9.]+", "", self.path.split("?")[0])
        m = self.command
        stream = lambda *objs: b"".join(json.dumps(o).encode() + b"\r\n" for o in objs)
        if p == "/_ping":
            return self.reply(200, raw=b"OK", ctype="text/plain")
        if m == "GET" and p == "/version":
            return self.reply(200, {"Version": "27.0.0", "ApiVersion": API_VERSION,
                                    "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64"})
        if m == "GET" and p == "/info":
            return self.reply(200, {"ID": "fake", "OSType": "linux", "Architecture": "x86_64"})
        if m == "POST" and p == "/containers/create":
            return self.reply(201, {"Id": hexid(), "Warnings": []})
        if m == "GET" and re.match(r"^/images/.+/json$", p):
            return self.reply(200, {"Id": "sha256:" + hexid(), "RepoTags": [], "Os": "linux",
                                    "Architecture": "amd64", "Config": {}})
        if m == "GET" and re.match(r"^/containers/[^/]+/json$", p):
            return self.reply(200, {"Id": hexid(), "State": {"Running": True, "Status": "running"},
                                    "Config": {"Tty": False}, "HostConfig": {}})
        if m == "POST" and re.match(r"^/containers/.+/exec$", p):
            return self.reply(201, {"Id": hexid()})
        if m == "POST" and re.match(r"^/exec/[^/]+/start$", p):
            return self.reply(200, raw=b"", ctype="application/vnd.docker.raw-stream")
        if m == "GET" and re.match(r"^/exec/[^/]+/json$", p):
            return self.reply(200, {"Running": False, "ExitCode": 0})
        if m == "POST" and re.match(r"^/containers/.+/(start|update|wait)$", p):
            return self.reply(200, {"Warnings": [], "StatusCode": 0})
        if m == "POST" and p == "/images/create":
            return self.reply(200, raw=stream({"status": "Pulling from fake"},
                                              {"status": "Digest: sha256:" + hexid()},
                                              {"status": "Status: Downloaded newer image"}))
        if m == "POST" and p == "/images/load":
            return self.reply(200, raw=stream({"stream": "Loaded image: fake:latest\n"}))
        if m == "POST" and p == "/build":
            return self.reply(200, raw=stream({"stream": "Step 1/1 : FROM scratch\n"},
                                              {"aux": {"ID": "sha256:" + hexid()}},
                                              {"stream": "Successfully built 0123456789ab\n"}))
        if m == "GET" and p == "/plugins/privileges":
            return self.reply(200, [{"Name": "network", "Description": "", "Value": ["host"]}])
        if m == "POST" and (p == "/plugins/pull" or p.endswith("/upgrade")):
            return self.reply(200, raw=stream({"status": "Download complete"}))
        if m == "POST" and re.match(r"^/plugins/.+/enable$", p):
            return self.reply(200, raw=b"")
        if m == "GET" and re.match(r"^/plugins/.+/json$", p):
            return self.reply(200, {"Id": hexid(), "Name": "fake", "Enabled": True})
        if m == "POST" and p == "/volumes/create":
            req = json.loads(body or b"{}")
            return self.reply(201, {"Name": req.get("Name") or hexid(), "Driver": "local",
                                    "Mountpoint": "/var/lib/docker/volumes/x/_data",
                                    "Options": req.get("DriverOpts"), "Scope": "local"})
        return self.reply(404, {"message": "fake-engine: not implemented: %s %s" % (m, p)})

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = route


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        req, _ = super().get_request()
        return req, ("local", 0)


def serve(args):
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    srv = Server(args.socket, Handler)
    srv.record = args.record
    global API_VERSION
    API_VERSION = args.api_version
    srv.serve_forever()


def emit(args):
    reqs = [json.loads(l) for l in open(args.record) if l.strip()]
    pick = [r for r in reqs if re.search(args.match, r["method"] + " " + r["uri"])]
    if not pick:
        sys.exit("emit: no request matches %r (have: %s)" %
                 (args.match, ", ".join(r["method"] + " " + r["uri"] for r in reqs)))
    r = pick[-1]
    body = base64.b64decode(r["body"])
    with open(args.out, "wb") as f:
        f.write(("# %s\n# recorded with the real docker CLI by record.sh\n" % args.title).encode())
        f.write(("source: %s\n" % args.source).encode())
        f.write(("settings: %s\n" % args.settings).encode())
        f.write(("method: %s\nuri: %s\nuser: %s\n" % (r["method"], r["uri"], args.user)).encode())
        f.write(("expect: %s\nrules: %s\n" % (args.expect, args.rules)).encode())
        if r["has_body"] and r["content_type"].startswith("application/json"):
            f.write(b"body:\n" + body)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--socket", required=True)
    s.add_argument("--record", required=True)
    s.add_argument("--api-version", default=API_VERSION)
    e = sub.add_parser("emit")
    for a in ("--record", "--match", "--out", "--settings", "--expect", "--source"):
        e.add_argument(a, required=True)
    e.add_argument("--rules", default="")
    e.add_argument("--user", default="alice")
    e.add_argument("--title", default="")
    args = ap.parse_args()
    serve(args) if args.cmd == "serve" else emit(args)


if __name__ == "__main__":
    main()
