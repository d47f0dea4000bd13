#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Send raw bytes to an HTTP server and report what came back, for tests of
# request framing that curl will not produce (two Content-Length headers, a
# NUL byte in the request line, an unknown transfer coding).
#
#   rawhttp.py unix:PATH|HOST:PORT TIMEOUT [--stream] < request-bytes
#
# --stream sends stdin as it arrives instead of all at once, so that a test
# writing it through a fifo decides when each part of a request goes out.
#
# Prints one line per HTTP response found ("status <code> <body>", the body
# on one line), then "closed" when the server closed the connection within
# TIMEOUT seconds, or "open" when it was still open at TIMEOUT.
import os
import socket
import sys
import time


def connect(addr):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    return s


def responses(data):
    """Split the bytes received into (status, body) pairs (Content-Length
    or chunked bodies only: that is all the daemon sends)."""
    out = []
    while data.startswith(b"HTTP/"):
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.split(b"\r\n")
        status = lines[0].split(b" ")[1].decode()
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower()] = v.strip()
        if b"content-length" in headers:
            n = int(headers[b"content-length"])
            body, data = rest[:n], rest[n:]
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = b""
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line.split(b";")[0] or b"0", 16)
                if size == 0:
                    _, _, rest = rest.partition(b"\r\n")
                    break
                body += rest[:size]
                rest = rest[size + 2:]
            data = rest
        else:
            body, data = rest, b""
        out.append((status, body.decode("utf-8", "replace").replace("\n", " ").strip()))
    return out


def main():
    addr, timeout = sys.argv[1], float(sys.argv[2])
    stream = "--stream" in sys.argv[3:]
    request = b"" if stream else sys.stdin.buffer.read()
    s = connect(addr)
    try:
        # A server may answer and close before reading (a connection it
        # turns away): what it sent is still read below.
        if request:
            s.sendall(request)
        while stream:
            part = os.read(0, 65536)
            if not part:
                break
            s.sendall(part)
    except (BrokenPipeError, ConnectionResetError):
        pass
    deadline = time.monotonic() + timeout
    data, closed = b"", False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    s.close()
    for status, body in responses(data):
        print("status", status, body)
    print("closed" if closed else "open")


if __name__ == "__main__":
    main()
