#!/usr/bin/env bash
# Data-parallel training on c10d/Gloo (issue 13), through the binary, on CPU:
#   2 processes (--nproc 2) against 1 at the same global batch, coGN and CAST-scratch (fusion and
#   text-encoder dropout 0: dropout is drawn per rank), per-epoch training losses and the test MAE
#   within 1e-5 relative, the same test predictions, one store record (rank 0);
#   USR1 to a 2-process run: exit 75 with last/ written; run again with 2 processes: it resumes and
#   ends where the uninterrupted run ends;
#   one rank SIGKILLed (ranks started with torchrun variables): the other exits non-zero with a
#   message within 60 s; one rank stopped (SIGSTOP, a hang): the other stops at --dist-timeout; the same under --nproc (the parent stops the sibling);
#   ranks with another configuration are refused.
# Exit 77 (skip) without ../shared/data or without c10d in this build.
# Usage: dist_test.sh PATH/TO/cast TESTS_DIR
set -u
. "$(dirname "$0")/common.sh" "$@"
kvrh="$shared/data/matbench/matbench_log_kvrh.subset.json.gz"
need "$kvrh"
unset CAST_TEXT_ENCODER CAST_DATA_DIR RANK WORLD_SIZE LOCAL_RANK MASTER_ADDR MASTER_PORT SLURM_PROCID SLURM_STEP_ID SLURM_STEPID
work=$(mktemp -d /tmp/cast-dist-test.XXXXXX)
if [ -n "${CAST_KEEP_TEST_DIR:-}" ]; then echo "keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
cd "$work"
export CAST_CACHE_DIR="$work/cache" OMP_NUM_THREADS=1
t_start=$(date +%s)
train() { "$cast" train --task log_kvrh --source "$kvrh" --limit 160 -q "$@"; }
# In the background: exec, so that $! is cast itself (signals reach it, not a subshell).
bg_train() { exec "$cast" train --task log_kvrh --source "$kvrh" --limit 160 -q "$@"; }

# Without c10d the build still works and --nproc says why it cannot run.
out=$(train --model cogn --epochs 1 --db nodist.db --out nodist --nproc 2 2>&1); rc=$?
if grep -q "built without c10d" <<<"$out"; then
  echo "skip: $out"; exit 77
fi

# Compares two run.json files: per-epoch train losses, val MAE, test MAE within 1e-5 relative, and
# the test predictions (ids in the same order, values within 1e-5 relative).
same_run() {
  python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def close(x, y, tol=1e-5):
    return abs(x - y) <= tol * max(abs(x), abs(y), 1e-12)
ok = len(a["epochs"]) == len(b["epochs"]) > 0
for ea, eb in zip(a["epochs"], b["epochs"]):
    for k in ("train_loss", "val_mae"):
        if not close(ea[k], eb[k]):
            print(f"epoch {ea['epoch']} {k}: {ea[k]!r} vs {eb[k]!r}"); ok = False
if not close(a["test_mae"], b["test_mae"]):
    print(f"test MAE {a['test_mae']!r} vs {b['test_mae']!r}"); ok = False
pa, pb = a["test_predictions"], b["test_predictions"]
if [p["id"] for p in pa] != [p["id"] for p in pb] or not pa:
    print("test prediction ids differ"); ok = False
bad = [(x["id"], x["y_pred"], y["y_pred"]) for x, y in zip(pa, pb) if not close(x["y_pred"], y["y_pred"])]
if bad:
    print(f"{len(bad)} predictions differ, e.g. {bad[0]}"); ok = False
sys.exit(0 if ok else 1)
PY
}

# ---- coGN: 1 process vs 2, global batch 32 (the demo profile's), 3 epochs
train --model cogn --epochs 3 --db one.db --out cogn1 > cogn1.log 2>&1
check "cogn 1 process exit 0" test $? -eq 0
t0=$(date +%s.%N)
train --model cogn --epochs 3 --db two.db --out cogn2 --nproc 2 > cogn2.log 2>&1
check "cogn 2 processes exit 0" test $? -eq 0
echo "cogn 2 processes: $(echo "$(date +%s.%N) - $t0" | bc) s"
check "cogn 2 processes say so" grep -q "data parallel: 2 ranks (nproc, gloo)" cogn2.log
check "cogn 2 vs 1: losses, MAE, predictions" same_run cogn1/run.json cogn2/run.json
check "cogn 2 processes: one run recorded" test "$(sqlite3 two.db "select count(*) from runs where status='done'")" -eq 1
check "cogn 2 processes: epochs printed once" test "$(grep -c '^3 ' cogn2.log)" -eq 1

# ---- CAST-scratch: a tiny domain LM (dropout 0 in its config), fusion dropout 0
for i in $(seq 1 80); do
  el=$(( i % 4 )); els=(Na K Rb Cs)
  echo "{\"material_id\": \"t-$i\", \"description\": \"${els[$el]}Cl crystallizes in the cubic space group. ${els[$el]} is bonded to six equivalent Cl atoms to form edge-sharing octahedra. All bond lengths are 2.$i A.\"}"
done > corpus.jsonl
"$cast" lm pretrain --corpus corpus.jsonl --out lm --epochs 1 --vocab-size 200 -q > lm.log 2>&1
check "tiny LM pretrained" test -f lm/config.json
sed -i -E 's/"(hidden|attention_probs)_dropout_prob": *[0-9.eE-]+/"\1_dropout_prob": 0.0/' lm/config.json
check "tiny LM without dropout" test "$(grep -c '_dropout_prob": 0.0' lm/config.json)" -eq 2
cs() { train --model cast-scratch --text-encoder lm --dropout 0 --epochs 2 "$@"; }
cs --db one.db --out cs1 > cs1.log 2>&1
check "cast-scratch 1 process exit 0" test $? -eq 0
cs --db two.db --out cs2 --nproc 2 > cs2.log 2>&1
check "cast-scratch 2 processes exit 0" test $? -eq 0
check "cast-scratch 2 vs 1: losses, MAE, predictions" same_run cs1/run.json cs2/run.json

# ---- pretraining: MNP (fusion dropout 0) and contrastive, 1 process vs 2: the same epochs; the LM
pre() { "$cast" pretrain --task log_kvrh --source "$kvrh" --limit 160 --text-encoder lm --epochs 2 -q "$@"; }
pre --kind mnp --dropout 0 --out mnp1 > mnp1.log 2>&1
check "mnp 1 process exit 0" test $? -eq 0
pre --kind mnp --dropout 0 --out mnp2 --nproc 2 > mnp2.log 2>&1
check "mnp 2 processes exit 0" test $? -eq 0
check "mnp 2 vs 1: losses and accuracies" cmp -s <(grep -A3 '^epoch' mnp1.log) <(grep -A3 '^epoch' mnp2.log)
pre --kind contrastive --out clip1 > clip1.log 2>&1
check "contrastive 1 process exit 0" test $? -eq 0
pre --kind contrastive --out clip2 --nproc 2 > clip2.log 2>&1
check "contrastive 2 processes exit 0" test $? -eq 0
check "contrastive 2 vs 1: losses" cmp -s <(grep -A2 '^epoch' clip1.log) <(grep -A2 '^epoch' clip2.log)
"$cast" lm pretrain --corpus corpus.jsonl --out lm2 --epochs 1 --vocab-size 200 -q --nproc 2 > lm2.log 2>&1
check "lm pretrain 2 processes: exit 0 and a checkpoint" test $? -eq 0 -a -f lm2/model.safetensors

# ---- stopped by USR1 with 2 processes, resumed with 2: ends as the uninterrupted run
bg_train --model cogn --epochs 3 --db stop.db --out cogn-stop --nproc 2 > stop.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -q '^1 ' stop.log && break; sleep 0.1; done
kill -USR1 $pid
wait $pid; rc=$?
check "USR1 to 2 processes: exit 75" test $rc -eq 75
check "USR1: last/ written inside an epoch" grep -q '"batch_in_epoch": [1-9]' cogn-stop/last/state.json
train --model cogn --epochs 3 --db stop.db --out cogn-stop --nproc 2 > resume.log 2>&1
check "resumed with 2 processes: exit 0" test $? -eq 0
check "resumed with 2 processes: says so" grep -q "info: resuming cogn-stop/last after epoch" resume.log
check "resumed run equals the uninterrupted one" same_run cogn1/run.json cogn-stop/run.json

# ---- one rank killed: the other stops with a message within 60 s
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rank() { RANK=$1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
         exec "$cast" train --task log_kvrh --source "$kvrh" --limit 160 -q --model cogn --db kill.db "${@:2}"; }
rank 0 --epochs 400 --out kill > kill0.log 2>&1 & p0=$!
rank 1 --epochs 400 --out kill > kill1.log 2>&1 & p1=$!
for _ in $(seq 1 600); do grep -q '^1 ' kill0.log && break; sleep 0.1; done
check "torchrun variables: rank 0 trains" grep -q '^1 ' kill0.log
kill -KILL $p1; t0=$(date +%s)
wait $p0; rc=$?; took=$(( $(date +%s) - t0 ))
wait $p1 2>/dev/null
echo "rank 0 stopped $took s after rank 1 was killed (exit $rc): $(grep ERROR kill0.log | head -c 300)"
check "rank 1 killed: rank 0 exits non-zero" test $rc -ne 0 -a $rc -ne 75
check "rank 1 killed: rank 0 within 60 s" test $took -le 60
check "rank 1 killed: rank 0 says a rank failed" grep -q "ERROR: rank 0 of 2: .* failed" kill0.log

# A hung rank (SIGSTOP): the other stops when --dist-timeout runs out.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rank 0 --epochs 400 --out hang --dist-timeout 5 > hang0.log 2>&1 & p0=$!
rank 1 --epochs 400 --out hang --dist-timeout 5 > hang1.log 2>&1 & p1=$!
for _ in $(seq 1 600); do grep -q '^1 ' hang0.log && break; sleep 0.1; done
kill -STOP $p1; t0=$(date +%s)
wait $p0; rc=$?; took=$(( $(date +%s) - t0 ))
kill -KILL $p1; wait $p1 2>/dev/null
echo "rank 0 stopped $took s after rank 1 hung (exit $rc): $(grep ERROR hang0.log | head -c 300)"
check "rank 1 hung: rank 0 exits non-zero" test $rc -ne 0 -a $rc -ne 75
check "rank 1 hung: rank 0 within the timeout (5 s) and 30 s" test $took -le 30
check "rank 1 hung: rank 0 says a rank failed" grep -q "ERROR: rank 0 of 2: .* failed" hang0.log

bg_train --model cogn --epochs 400 --db kill.db --out kill2 --nproc 2 > killn.log 2>&1 & pid=$!
for _ in $(seq 1 600); do grep -q '^1 ' killn.log && break; sleep 0.1; done
child=$(pgrep -P $pid | tail -n 1)
kill -KILL "$child"; t0=$(date +%s)
wait $pid; rc=$?; took=$(( $(date +%s) - t0 ))
check "--nproc, a rank killed: exit non-zero" test $rc -ne 0 -a $rc -ne 75
check "--nproc, a rank killed: within 60 s" test $took -le 60
check "--nproc, a rank killed: named" grep -q "error: rank 1 of 2 was killed by signal 9" killn.log
check "--nproc, a rank killed: no rank left" test -z "$(pgrep -P $pid)"

# ---- ranks with another configuration are refused
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rank 0 --epochs 2 --out cfg > cfg0.log 2>&1 & p0=$!
rank 1 --epochs 3 --out cfg > cfg1.log 2>&1 & p1=$!
wait $p0; rc0=$?; wait $p1; rc1=$?
check "another configuration: both refuse" test $rc0 -ne 0 -a $rc1 -ne 0
check "another configuration: named" grep -q "rank 1 of 2 has another configuration" cfg0.log

echo "dist test: $(( $(date +%s) - t_start )) s"
echo "$fails failure(s)"
exit $((fails > 0))
