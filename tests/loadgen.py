#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Clients for the load and security tests, on loopback only.

  loadgen.py hold HOST PORT N NSRC SECONDS
      N connections from NSRC source addresses (127.0.1.1, ...), every
      other one a slowloris (a request line, then one header byte every
      2 s, never done), the rest idle; held SECONDS, then closed.  Prints
      how many connected and how many the server had closed by the end.
  loadgen.py probe URL SECONDS INTERVAL SRC
      GET URL from source address SRC every INTERVAL seconds, on one
      keep-alive connection as Prometheus scrapes: prints count, failures,
      p50, p99 and max in ms; exit 1 if a request failed or did not
      answer 200.
  loadgen.py hostile HOST PORT
      requests no server should choke on (huge paths, headers and
      queries, NULs, bodies, garbage); prints the status line of each,
      exit 1 if the server stops answering.
"""
import http.client
import socket
import sys
import time


def hold(host, port, n, nsrc, seconds):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        try:
            s.bind(("127.0.1.%d" % (i % nsrc + 1), 0))
            s.settimeout(2)
            s.connect((host, port))
            if i % 2:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            s.setblocking(False)
            socks.append(s)
        except OSError:
            s.close()
    print("connected %d of %d" % (len(socks), n), flush=True)
    end = time.monotonic() + seconds
    closed = set()
    while time.monotonic() < end:
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                if s.recv(4096) == b"":
                    closed.add(i)
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed.add(i)
                continue
            if i % 2:
                try:
                    s.send(b"a")
                except OSError:
                    closed.add(i)
        time.sleep(2)
    print("held %d closed_by_server %d" % (len(socks) - len(closed), len(closed)), flush=True)
    for s in socks:
        s.close()


def probe(url, seconds, interval, src):
    hostport, _, path = url.split("://", 1)[1].partition("/")
    host, _, port = hostport.rpartition(":")
    lat, fails = [], 0
    end = time.monotonic() + seconds
    c = None
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            if c is None:
                c = http.client.HTTPConnection(host, int(port), timeout=10,
                                               source_address=(src, 0))
            c.request("GET", "/" + path)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                fails += 1
                print("status %d" % r.status, file=sys.stderr)
        except (OSError, http.client.HTTPException) as e:
            fails += 1
            print("error %s" % e, file=sys.stderr)
            c.close()
            c = None
        lat.append((time.monotonic() - t0) * 1000)
        time.sleep(max(0.0, interval - (time.monotonic() - t0)))
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))]
    print("count %d failed %d p50 %.1f p99 %.1f max %.1f" %
          (len(lat), fails, pct(0.50), pct(0.99), lat[-1]))
    return 1 if fails or not lat else 0


def send_raw(host, port, data, read=True):
    s = socket.create_connection((host, port), timeout=5)
    try:
        s.sendall(data)
        if not read:
            return ""
        s.shutdown(socket.SHUT_WR)
        got = b""
        while b"\r\n" not in got:
            b = s.recv(65536)
            if not b:
                break
            got += b
        return got.split(b"\r\n", 1)[0].decode("latin-1") or "(closed)"
    except OSError as e:
        return "(%s)" % e.__class__.__name__
    finally:
        s.close()


def hostile(host, port):
    big = b"A" * (1 << 20)
    cases = [
        ("a 1 MiB path", b"GET /" + big + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("a 1 MiB query", b"GET /kstat?module=" + big + b" HTTP/1.1\r\n\r\n"),
        ("10000 query parameters", b"GET /metrics?" + b"&".join(
            b"collect[]=m%d" % i for i in range(10000)) + b" HTTP/1.1\r\n\r\n"),
        ("a 1 MiB header", b"GET /metrics HTTP/1.1\r\nX-Big: " + big + b"\r\n\r\n"),
        ("10000 headers", b"GET /metrics HTTP/1.1\r\n" + b"".join(
            b"X-%d: y\r\n" % i for i in range(10000)) + b"\r\n"),
        ("a 1 MiB Accept", b"GET /metrics HTTP/1.1\r\nAccept: " + b"text/plain;q=0.5," * 60000 + b"\r\n\r\n"),
        ("a 1 MiB Authorization", b"GET / HTTP/1.1\r\nAuthorization: Basic " + big + b"\r\n\r\n"),
        ("NUL bytes", b"GET /metr\x00ics?collect[]=c%00pu HTTP/1.1\r\nAccept: \x00\r\n\r\n"),
        ("bytes that are not UTF-8", b"GET /kstat?name=\xff\xfe%ff HTTP/1.1\r\n\r\n"),
        ("a body of 1 GiB announced", b"POST /metrics HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\nabc"),
        ("a chunked body", b"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n"),
        ("HTTP/0.9", b"GET /metrics\r\n\r\n"),
        ("garbage", bytes(range(256)) * 64),
        ("a request line without end", b"GET /" + b"x" * 100000),
        ("a pipeline of 1000 requests", b"GET /kstat?module=cpu HTTP/1.1\r\nHost: x\r\n\r\n" * 1000),
        ("a bad percent-encoding", b"GET /kstat?module=%zz%&%=%% HTTP/1.1\r\n\r\n"),
        ("a long method", b"X" * 70000 + b" / HTTP/1.1\r\n\r\n"),
    ]
    rc = 0
    for what, data in cases:
        print("%-28s %s" % (what, send_raw(host, port, data)))
        alive = send_raw(host, port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if not alive.startswith("HTTP/1.1"):
            print("the server stopped answering after: %s (%s)" % (what, alive))
            rc = 1
            break
    return rc


def main():
    cmd = sys.argv[1]
    if cmd == "hold":
        hold(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
        return 0
    if cmd == "probe":
        return probe(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    if cmd == "hostile":
        return hostile(sys.argv[2], int(sys.argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
