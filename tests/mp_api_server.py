#!/usr/bin/env python3
"""A local stand-in for the Materials Project API, for tests/fetch_mp_test.sh.

Serves GET /materials/summary/ and /materials/robocrys/ in the MP API's response format,
{"data": [...], "meta": {"total_doc": N, "database_version": V, ...}}, from JSON-lines(.gz) files
of MP documents, honouring _fields (comma-separated), _limit, _skip and _sort_fields=material_id.
The key must come in the X-API-KEY header (401 otherwise, as the real API answers).

Faults, by the number of the page request (1-based, counted over both endpoints):
  --fail-429 K     answer request K with 429 and Retry-After: 1
  --fail-503 K     answer request K with 503
  --truncate K     answer request K with the first half of the page (Content-Length of that half)
  --drop K         announce the whole page's Content-Length, send half of it, close the connection
  --bad-shape      every page is {"results": [...]} (an API change)
  --delay S        sleep S seconds before every page (so a test can kill a fetch between pages)
Every request is logged to --log as one JSON line {n, path, skip, limit, answer}.
The port is written to --port-file once the server listens.
"""
import argparse
import gzip
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return [json.loads(l) for l in f if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", required=True)
    ap.add_argument("--texts", action="append", default=[])
    ap.add_argument("--key", required=True)
    ap.add_argument("--version", default="2025.09.25-test")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-429", type=int, action="append", default=[])
    ap.add_argument("--fail-503", type=int, action="append", default=[])
    ap.add_argument("--truncate", type=int, action="append", default=[])
    ap.add_argument("--drop", type=int, action="append", default=[])
    ap.add_argument("--bad-shape", action="store_true")
    ap.add_argument("--delay", type=float, default=0)
    a = ap.parse_args()

    coll = {"/materials/summary/": load(a.docs), "/materials/robocrys/": []}
    for t in a.texts:
        coll["/materials/robocrys/"] += [{"material_id": d["material_id"], "description": d["description"]} for d in load(t)]
    lock = threading.Lock()
    counter = [0]
    log = open(a.log, "a", buffering=1)

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send(self, status, body, extra=None, length=None):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            with lock:
                counter[0] += 1
                n = counter[0]
            entry = {"n": n, "path": u.path, "skip": q.get("_skip"), "limit": q.get("_limit")}

            def done(answer):
                entry["answer"] = answer
                log.write(json.dumps(entry) + "\n")

            if self.headers.get("X-API-KEY") != a.key:
                done("401")
                return self.send(401, json.dumps({"detail": "Invalid API key"}).encode())
            if u.path not in coll:
                done("404")
                return self.send(404, json.dumps({"detail": "Not Found"}).encode())
            if a.delay:
                time.sleep(a.delay)
            if n in a.fail_429:
                done("429")
                return self.send(429, json.dumps({"detail": "Too Many Requests"}).encode(), {"Retry-After": "1"})
            if n in a.fail_503:
                done("503")
                return self.send(503, b"<html>Service Unavailable</html>")
            docs = coll[u.path]
            if q.get("_sort_fields") == "material_id":
                docs = sorted(docs, key=lambda d: d["material_id"])
            skip, limit = int(q.get("_skip", 0)), int(q.get("_limit", 100))
            fields = q["_fields"].split(",") if "_fields" in q else None
            page = [{k: d[k] for k in fields if k in d} if fields else d for d in docs[skip:skip + limit]]
            meta = {"api_version": "0.0.0-test", "time_stamp": "2025-01-01T00:00:00", "total_doc": len(docs),
                    "max_limit": 1000, "database_version": a.version}
            body = json.dumps({"results": page} if a.bad_shape else {"data": page, "meta": meta}).encode()
            if n in a.truncate:
                done("truncated")
                return self.send(200, body[: len(body) // 2])
            if n in a.drop:
                done("dropped")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            done("200")
            self.send(200, body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
