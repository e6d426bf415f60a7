#!/usr/bin/env bash
# cast data fetch mp against a local stand-in of the Materials Project API (tests/mp_api_server.py)
# serving the 3,202 shared MP summary documents: every document arrives with the fields asked for;
# a 429 is waited out, a truncated page, a dropped connection and a 503 are retried; killed
# mid-fetch (and with a torn last line) and run again it resumes and ends byte-identical to an
# uninterrupted fetch; the manifest's count, SHA-256 and database version are right; a bad key, a
# missing key, no network and an API change get messages saying which; --texts joins served
# descriptions; the fetched file prepares like the shared documents.
# Usage: fetch_mp_test.sh PATH/TO/cast TESTS_DIR
set -u
. "$(dirname "$0")/common.sh" "$@"
docs="$shared/data/mp/mp_summary_elastic_3202.jsonl.gz"
texts="$shared/data/text/mp_robocrys_li_oxides.dev.jsonl.gz"
need "$docs" "$texts"
unset MP_API_KEY MP_API_ENDPOINT
work=$(mktemp -d /tmp/cast-fetch-mp-test.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; [ -n "${CAST_KEEP_TEST_DIR:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
key="test-key-4f2a9c"

# serve NAME ARGS...: starts a server, sets $port.
serve() {
  local name="$1"; shift
  python3 "$dir/mp_api_server.py" --key "$key" --port-file "$name.port" --log "$name.log" "$@" 2>"$name.err" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$name.port" ] && break; sleep 0.1; done
  port=$(cat "$name.port")
}

# A: faults on requests 2 (429), 4 (truncated JSON), 6 (connection dropped mid-body), 8 (503).
serve a --docs "$docs" --fail-429 2 --truncate 4 --drop 6 --fail-503 8
start=$(date +%s)
"$cast" data fetch mp --api-key "$key" --endpoint "http://127.0.0.1:$port" --out A --page-size 250 --backoff 0.2 -q \
  > a.out 2> a.errlog; rc=$?
echo "fetch A took $(( $(date +%s) - start )) s"
check "fetch with faults exit 0" test $rc -eq 0
[ $rc -eq 0 ] || { cat a.out a.errlog | tail -20; }
check "the 429 was served and waited out" grep -q '"answer": "429"' a.log
check "the 429's wait was said" grep -q 'rate limited (HTTP 429).*Retry-After' a.errlog
check "the truncated page was served and retried" grep -q 'truncated or invalid JSON' a.errlog
check "the dropped connection was retried" grep -qi 'transfer broke off\|transfer failed' a.errlog
check "the 503 was retried" grep -q 'HTTP 503 (server error)' a.errlog
check "every document arrived, with the fields asked for and their values" python3 - "$docs" A/mp_summary.jsonl.gz <<'PY'
import gzip, json, sys
fields = "material_id,formula_pretty,structure,energy_per_atom,formation_energy_per_atom,energy_above_hull,band_gap,is_metal,bulk_modulus,shear_modulus".split(",")
src = {d["material_id"]: d for d in map(json.loads, gzip.open(sys.argv[1], "rt"))}
got = [json.loads(l) for l in gzip.open(sys.argv[2], "rt")]
ids = [d["material_id"] for d in got]
assert len(got) == len(src) == 3202, (len(got), len(src))
assert ids == sorted(src), "not every id, or not in material_id order"
bad = [d["material_id"] for d in got if d != {k: src[d["material_id"]][k] for k in fields if k in src[d["material_id"]]}]
print(len(got), "documents;", len(bad), "differ from the source", bad[:3])
sys.exit(1 if bad else 0)
PY
check "manifest: count, sha256 of the file, database version" python3 - A <<'PY'
import hashlib, json, sys
m = json.load(open(sys.argv[1] + "/mp_summary.manifest.json"))
sha = hashlib.sha256(open(sys.argv[1] + "/mp_summary.jsonl.gz", "rb").read()).hexdigest()
print(m["count"], m["database_version"], m["sha256"][:12])
sys.exit(0 if m["count"] == 3202 and m["sha256"] == sha and m["database_version"] == "2025.09.25-test" else 1)
PY
check "no partial files left" test ! -e A/.mp_summary.part
"$cast" data fetch mp --api-key "$key" --endpoint "http://127.0.0.1:$port" --out A --page-size 250 -q > again.out 2>&1
check "a second fetch finds the verified file and asks nothing" grep -q 'already fetched and verified' again.out

# B: killed between pages, a torn line appended, run again: resumes, ends byte-identical to A.
serve b --docs "$docs" --delay 0.15
"$cast" data fetch mp --api-key "$key" --endpoint "http://127.0.0.1:$port" --out B --page-size 250 -q > b1.out 2>&1 &
fpid=$!
for _ in $(seq 300); do
  n=$(cat B/.mp_summary.part/summary.jsonl 2>/dev/null | wc -l)
  [ "$n" -ge 750 ] && break; sleep 0.05
done
kill -9 $fpid 2>/dev/null; wait $fpid 2>/dev/null
have=$(wc -l < B/.mp_summary.part/summary.jsonl)
check "killed mid-fetch: part written, nothing installed ($have documents)" test "$have" -ge 750 -a "$have" -lt 3202 -a ! -e B/mp_summary.jsonl.gz
printf '{"material_id": "mp-99999", "struc' >> B/.mp_summary.part/summary.jsonl
before=$(wc -l < b.log)
"$cast" data fetch mp --api-key "$key" --endpoint "http://127.0.0.1:$port" --out B --page-size 250 -q > b2.out 2>&1; rc=$?
check "resumed fetch exit 0" test $rc -eq 0
check "resumed after the documents already written" grep -q "resuming after $have of 3202" b2.out
check "resumed asked only for what it lacked (first request at _skip=$have)" \
  python3 -c "import json,sys; l=[json.loads(x) for x in open('b.log')][$before:]; sys.exit(0 if l and int(l[0]['skip']) == $have and all(int(x['skip']) >= $have for x in l) else 1)"
check "interrupted + resumed is byte-identical to uninterrupted" cmp -s A/mp_summary.jsonl.gz B/mp_summary.jsonl.gz

# Bad key, no key, no network, an API change.
"$cast" data fetch mp --api-key wrong-key-0000 --endpoint "http://127.0.0.1:$port" --out C -q > c.out 2>&1; rc=$?
check "bad key: fails" test $rc -ne 0
check "bad key: named as the API key refused, with HTTP 401" grep -q 'HTTP 401: the Materials Project refused the API key' c.out
check "bad key: points to --api-key / MP_API_KEY" grep -q 'MP_API_KEY' c.out
"$cast" data fetch mp --endpoint "http://127.0.0.1:$port" --out C -q > d.out 2>&1; rc=$?
check "no key: fails saying how to give one" test $rc -ne 0 -a -n "$(grep 'needs a Materials Project API key' d.out)"
MP_API_KEY="$key" "$cast" data fetch mp --endpoint "http://127.0.0.1:$port" --out E --limit 300 --page-size 100 -q > e.out 2>&1
check "MP_API_KEY is read; --limit 300 fetches 300" test "$(zcat E/mp_summary.jsonl.gz | wc -l)" -eq 300
closed=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1]); s.close()")
"$cast" data fetch mp --api-key "$key" --endpoint "http://127.0.0.1:$closed" --out F --tries 2 --backoff 0.1 -q > f.out 2>&1; rc=$?
check "no network: fails naming it" test $rc -ne 0 -a -n "$(grep 'cannot reach the server' f.out | grep 'No network?')"
serve g --docs "$docs" --bad-shape
"$cast" data fetch mp --api-key "$key" --endpoint "http://127.0.0.1:$port" --out G -q > g.out 2>&1; rc=$?
check "API change: fails as an unexpected response shape" test $rc -ne 0 -a -n "$(grep 'unexpected response shape (no "data" array); the MP API may have changed' g.out)"

# --texts: served robocrys descriptions joined to their documents.
serve h --docs "$texts" --texts "$texts"
"$cast" data fetch mp --api-key "$key" --endpoint "http://127.0.0.1:$port" --out H --texts --page-size 300 -q > h.out 2>&1; rc=$?
check "--texts exit 0" test $rc -eq 0
check "--texts: every document has its served description" python3 - "$texts" H <<'PY'
import gzip, json, sys
src = {d["material_id"]: d["description"] for d in map(json.loads, gzip.open(sys.argv[1], "rt"))}
got = [json.loads(l) for l in gzip.open(sys.argv[2] + "/mp_summary.jsonl.gz", "rt")]
m = json.load(open(sys.argv[2] + "/mp_summary.manifest.json"))
ok = len(got) == len(src) and all(d.get("description") == src[d["material_id"]] for d in got)
print(len(got), "documents,", sum("description" in d for d in got), "with a description; manifest joined", m["robocrys"]["joined"])
sys.exit(0 if ok and m["robocrys"]["joined"] == len(src) else 1)
PY

# The fetched file prepares like the shared documents (same entries, filters, split, statistics).
export CAST_CACHE_DIR="$work/cache"
for s in shared fetched; do
  src=$docs; [ $s = fetched ] && src=A/mp_summary.jsonl.gz
  "$cast" data prepare --task total_energy --source "$src" --no-cache --no-describe -q > "prep-$s.out" 2>&1
  grep -E 'entries read|removed|split:|^\| (train|val|test|val\+test) \|' "prep-$s.out" | sed "s#$src##" > "prep-$s.txt"
done
check "prepare: same entries read, removals, split and Table 2 row" cmp -s prep-shared.txt prep-fetched.txt
[ -s prep-shared.txt ] && head -3 prep-shared.txt
cmp -s prep-shared.txt prep-fetched.txt || diff prep-shared.txt prep-fetched.txt | head

echo "fetch_mp: $fails failed"
[ $fails -eq 0 ]
