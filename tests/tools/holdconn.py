#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Open many connections to a server and hold them, for tests of connection
# limits, idle TLS handshakes and slow clients.
#
#   holdconn.py ADDR N [--send TEXT] [--drip SECONDS] [--until-closed SECONDS]
#               [--until-replies K] [--bind SOURCE-ADDRESS]
#
# ADDR is unix:PATH or HOST:PORT. Opens N connections (those the server
# refuses at once count as refused), sends TEXT on each when given, then:
#   --until-closed S  waits up to S seconds for the server to close every
#                     one, reading whatever it sends, and prints
#                     "closed K of N in T s, first status S" then
#                     "statuses CODE=COUNT ..." (each connection's first reply,
#                     "none" when it got none); SIGTERM ends the wait
#                     early, with the same report, and so does
#   --until-replies K once K connections have had their first reply;
#   otherwise         prints "opened N" and holds them until it is killed.
# --drip S sends one more byte ("X") on every open connection each S
# seconds (a slowloris client: a request whose headers never end).
# --bind A connects TCP from source address A (e.g. 127.0.0.2), so that the
# thousands of client ports never collide with a loopback port that a test
# running beside this one is about to listen on; A1,A2,... takes the
# addresses in turn, one connection each (a caller spreading itself over
# 127.0.0.0/8).
import select
import signal
import socket
import sys
import time

stopped = False


def stop(signum, frame):
    global stopped
    stopped = True


def connect(addr, source):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=10,
                                     source_address=(source, 0) if source else None)
    s.setblocking(False)
    return s


def main():
    args = sys.argv[1:]
    addr, n = args[0], int(args[1])
    opts = {args[i]: args[i + 1] for i in range(2, len(args) - 1, 2)}
    send = opts.get("--send", "").encode().decode("unicode_escape").encode("latin-1")
    drip = float(opts["--drip"]) if "--drip" in opts else None
    until = float(opts["--until-closed"]) if "--until-closed" in opts else None
    sources = opts.get("--bind", "").split(",") if "--bind" in opts else [None]
    replies = int(opts["--until-replies"]) if "--until-replies" in opts else None
    if until is not None:
        signal.signal(signal.SIGTERM, stop)

    socks, refused = [], 0
    for i in range(n):
        try:
            s = connect(addr, sources[i % len(sources)])
            if send:
                s.send(send)
            socks.append(s)
        except OSError:
            refused += 1
    print("opened %d refused %d" % (len(socks), refused), flush=True)

    start = time.monotonic()
    last_drip = start
    by_fd = {s.fileno(): s for s in socks}
    poller = select.poll()
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    first_status = "-"
    status_of = {}
    while by_fd or until is None:
        now = time.monotonic()
        if until is not None and (now - start >= until or stopped):
            break
        if replies is not None and len(status_of) >= replies:
            break
        if drip is not None and now - last_drip >= drip:
            for s in by_fd.values():
                try:
                    s.send(b"X")
                except OSError:
                    pass
            last_drip = now
        for fd, _ in poller.poll(200):
            s = by_fd.get(fd)
            if s is None:
                continue
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data and data.startswith(b"HTTP/") and id(s) not in status_of:
                status_of[id(s)] = data.split(b" ")[1].decode()
                if first_status == "-":
                    first_status = status_of[id(s)]
            if not data:
                poller.unregister(fd)
                del by_fd[fd]
                s.close()
    open_socks = by_fd
    if until is not None:
        print("closed %d of %d in %.1f s, first status %s"
              % (len(socks) - len(open_socks), len(socks), time.monotonic() - start,
                 first_status), flush=True)
        counts = {}
        for s in socks:
            code = status_of.get(id(s), "none")
            counts[code] = counts.get(code, 0) + 1
        print("statuses " + " ".join("%s=%d" % kv for kv in sorted(counts.items())),
              flush=True)
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


if __name__ == "__main__":
    main()
