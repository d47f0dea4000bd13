#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Docker volume plugin (the legacy, socket-activated kind, protocol v1)
that serves each volume as a directory: under ROOT by default, or wherever
the create's "mountpoint" option says, as host-path plugins such as
local-persist do. The end-to-end tests run it as a plugin lockset's
allowedVolumeDrivers does not list.

Usage: dirvolume.py SOCKET ROOT
Listens on SOCKET (under /run/docker/plugins, where dockerd finds plugins by
name) and answers dockerd's VolumeDriver calls until killed."""
import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler

SOCKET, ROOT = sys.argv[1], sys.argv[2]
volumes = {}  # name -> mountpoint


def create(req):
    name = req.get("Name", "")
    opts = req.get("Opts") or {}
    path = opts.get("mountpoint") or os.path.join(ROOT, name)
    os.makedirs(path, exist_ok=True)
    volumes[name] = path
    return {"Err": ""}


def volume(req):
    name = req.get("Name", "")
    if name not in volumes:
        return {"Err": "no such volume: %s" % name}
    return {"Volume": {"Name": name, "Mountpoint": volumes[name]}, "Err": ""}


def mountpoint(req):
    name = req.get("Name", "")
    if name not in volumes:
        return {"Err": "no such volume: %s" % name}
    return {"Mountpoint": volumes[name], "Err": ""}


def remove(req):
    volumes.pop(req.get("Name", ""), None)
    return {"Err": ""}


CALLS = {
    "/Plugin.Activate": lambda req: {"Implements": ["VolumeDriver"]},
    "/VolumeDriver.Create": create,
    "/VolumeDriver.Remove": remove,
    "/VolumeDriver.Get": volume,
    "/VolumeDriver.List": lambda req: {
        "Volumes": [{"Name": n, "Mountpoint": p} for n, p in volumes.items()], "Err": ""},
    "/VolumeDriver.Path": mountpoint,
    "/VolumeDriver.Mount": mountpoint,
    "/VolumeDriver.Unmount": lambda req: {"Err": ""},
    "/VolumeDriver.Capabilities": lambda req: {"Capabilities": {"Scope": "local"}},
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        try:
            req = json.loads(raw) if raw.strip() else {}
        except ValueError:
            req = {}
        call = CALLS.get(self.path)
        out = json.dumps(call(req) if call else {"Err": "unknown call %s" % self.path})
        body = out.encode()
        self.send_response(200 if call else 404)
        self.send_header("Content-Type", "application/vnd.docker.plugins.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass

    def address_string(self):
        return "dockerd"


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(SOCKET):
    os.unlink(SOCKET)
os.makedirs(os.path.dirname(SOCKET), exist_ok=True)
Server(SOCKET, Handler).serve_forever()
