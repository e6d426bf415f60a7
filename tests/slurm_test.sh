#!/usr/bin/env bash
# cast reproduce --executor slurm on a real single-node Slurm (Debian's slurmctld, slurmd, munge;
# no slurmdbd), started by tests/slurm/start_slurm.sh inside this test and stopped by pid at the
# end. The tiny recipe (tests/fixtures/recipes) runs to the end through Slurm jobs and gives
# table1.csv, table1.md and table2.csv byte-identical to the local executor's, with no duplicate
# runs. On the way: submitting again while jobs are queued submits nothing; one array task
# cancelled with scancel (while it waits for its dependency) shows as failed in --status, and the
# command run again submits only that step and a new finish job; one training job sent USR1
# (scancel --batch -s USR1) stops at a checkpoint, requeues itself, resumes from last/, and its
# dependant (the finish job) still runs. Also: --dry-run writes the scripts and submits nothing;
# a missing sbatch and a failing sbatch are reported with what to do and sbatch's own message.
# Skips (exit 77) only where it cannot be root, cannot install the packages, or has no data.
# Usage: slurm_test.sh PATH/TO/cast TESTS_DIR
set -u
. "$(dirname "$0")/common.sh" "$@"
skip() { echo "skip: $*"; exit 77; }
t_start=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t_start )) s"; }
[ -f "$shared/data/matbench/matbench_log_kvrh.subset.json.gz" ] || skip "../shared/data not found (set CAST_SHARED_DIR)"
[ "$(id -u)" -eq 0 ] || skip "needs root to start slurmd and munged (run as root, e.g. in CI)"
pkgs=(slurmctld slurmd slurm-client munge)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } > /tmp/cast-slurm-apt.log 2>&1 \
    || skip "cannot install ${missing[*]} (apt-get failed: $(tail -n 2 /tmp/cast-slurm-apt.log | tr '\n' ' '))"
fi
for b in slurmctld slurmd munged sbatch squeue scancel scontrol; do command -v "$b" >/dev/null || skip "$b missing after installing ${pkgs[*]}"; done

export CAST_DATA_DIR="$shared/data"
unset CAST_TEXT_ENCODER
work=$(mktemp -d /tmp/cast-slurm-test.XXXXXX)
chmod 0755 "$work"  # munged (the munge user) reads its socket folder inside
cleanup() {
  [ -n "${SLURM_CONF:-}" ] && scancel --me >/dev/null 2>&1
  bash "$dir/slurm/start_slurm.sh" --stop "$work/slurm"
  if [ -n "${CAST_KEEP_TEST_DIR:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
recipes="$dir/fixtures/recipes"
export CAST_CACHE_DIR="$work/cache"

bash "$dir/slurm/start_slurm.sh" "$work/slurm" || { echo "FAIL slurm did not start"; exit 1; }
export SLURM_CONF="$work/slurm/slurm.conf"
json() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['steps'][sys.argv[2]]['job'])" "$@"; }
# Empty only when squeue answers so: a busy slurmctld (squeue timing out under load) is not an empty queue.
queue_empty() { local q; q=$(squeue -h --me -o %i 2>/dev/null) || return 1; [ -z "$q" ]; }
wait_queue_empty() {  # SECONDS
  local end=$(( $(date +%s) + $1 ))
  while ! queue_empty; do [ "$(date +%s)" -ge "$end" ] && return 1; sleep 1; done
}

# The local executor's tables, the reference.
mkdir -p "$work/local" && cd "$work/local"
"$cast" reproduce all --recipes "$recipes" -j 2 > reproduce.log 2>&1; rc=$?
check "local reproduce exit 0 ($(elapsed))" test $rc -eq 0
[ $rc -eq 0 ] || tail -n 30 reproduce.log

# --dry-run: scripts and manifest, nothing submitted.
mkdir -p "$work/dry" && cd "$work/dry"
"$cast" reproduce all --recipes "$recipes" --executor slurm --dry-run --time 00:30:00 --time train=01:00:00 \
  --partition debug --cpus-per-job 1 --sbatch-arg=--comment=casttest > dry.log 2>&1; rc=$?
check "dry run exit 0" test $rc -eq 0
check "dry run submits nothing" queue_empty
check "dry run writes the manifest" grep -q "train-cast-log_kvrh-s1  cast train --model cast" runs/demo/slurm/manifest.txt
check "dry run: one script per job" test "$(ls runs/demo/slurm/*.sh | wc -l)" -eq 8
for s in runs/demo/slurm/*.sh; do check "dry run: $(basename "$s") is valid bash" bash -n "$s"; done
check "dry run: train jobs are arrays of two" grep -q -- "--array=0-1" runs/demo/slurm/train1.sh
check "dry run: per-kind time" grep -q -- "--time=01:00:00" runs/demo/slurm/train1.sh
check "dry run: default time" grep -q -- "--time=00:30:00" runs/demo/slurm/lm-corpus.sh
for opt in "--signal=B:USR1@300" "--requeue" "--kill-on-invalid-dep=yes" "--open-mode=append"; do
  check "dry run: $opt in every script" test "$(grep -l -- "#SBATCH $opt" runs/demo/slurm/*.sh | wc -l)" -eq 8
done
check "dry run: afterok chain in the manifest" grep -q "dependency=afterok:<lm-pretrain>:<pretrain-mnp>' --comment=casttest runs/demo/slurm/train3.sh" runs/demo/slurm/manifest.txt
check "dry run: --sbatch-arg passed through" grep -q -- "--comment=casttest" runs/demo/slurm/manifest.txt
err=$(PATH=/nonexistent "$cast" reproduce all --recipes "$recipes" --executor slurm 2>&1); rc=$?
check "no sbatch: clear error" grep -q "sbatch is not on PATH" <<<"$err"
check "no sbatch: exit 1" test $rc -eq 1
err=$("$cast" reproduce all --recipes "$recipes" --executor slurm --partition nosuch 2>&1); rc=$?
check "failing sbatch: its message shown" grep -q "sbatch failed for job cast-demo-lm-corpus.*nvalid partition" <<<"$err"
check "failing sbatch: exit 1" test $rc -eq 1
err=$("$cast" reproduce all --recipes "$recipes" --executor slurm --time gpu=1:00 --dry-run 2>&1)
check "unknown kind of step named" grep -q "unknown kind of step 'gpu'" <<<"$err"

# The Slurm run.
mkdir -p "$work/s" && cd "$work/s"
"$cast" reproduce all --recipes "$recipes" --executor slurm --cpus-per-job 1 --time 00:20:00 > submit1.log 2>&1; rc=$?
check "submit exit 0" test $rc -eq 0
[ $rc -eq 0 ] || cat submit1.log
check "submit: 8 jobs" grep -q "submitted 8 jobs (10 steps + the finish job" submit1.log
st=runs/demo/slurm/jobs.json
cancelled=$(json $st train-cast-log_kvrh-s1)
signalled=$(json $st train-cast-scratch-log_kvrh-s0)
# Held until the USR1 part below: a tiny training run could otherwise start and finish while the
# cancel and resubmit checks run, and there would be nothing left to signal (failed once under -j2).
scontrol hold "$signalled"
check "the job to signal is held while it waits" grep -q Held <(squeue -h -j "$signalled" -o %r 2>/dev/null)
"$cast" reproduce all --recipes "$recipes" --executor slurm --cpus-per-job 1 > submit2.log 2>&1
check "submitted again while queued: nothing submitted" grep -q "nothing to submit" submit2.log

# One array task cancelled while it waits for pretrain-mnp.
check "the task to cancel is still waiting (its dependency runs)" test "$(squeue -h -j "$cancelled" -o %T 2>/dev/null)" = PENDING
scancel "$cancelled"
sleep 3
"$cast" reproduce all --recipes "$recipes" --executor slurm --status > status1.log 2>&1
check "status: the cancelled task is failed" grep -qE "^failed +train-cast-log_kvrh-s1 +$cancelled" status1.log
check "status: never started, said so" grep -q "cancelled before it started" status1.log
"$cast" reproduce all --recipes "$recipes" --executor slurm --cpus-per-job 1 --time 00:20:00 > submit3.log 2>&1; rc=$?
check "resubmit exit 0" test $rc -eq 0
check "resubmit: only the cancelled step and a finish job" grep -q "submitted 2 jobs (1 steps + the finish job" submit3.log
check "resubmit: the manifest holds that step alone" \
  test "$(grep -c '^  [-0-9]  train-' runs/demo/slurm/manifest.txt)" -eq 1 -a -n "$(grep '  train-cast-log_kvrh-s1  cast' runs/demo/slurm/manifest.txt)"
[ $rc -eq 0 ] || cat submit3.log

# USR1 to a training job once cast has its handlers: stopped at a checkpoint, requeued, resumed.
# (cast is held with SIGSTOP while the signal is sent, so the test cannot lose the race with a
# tiny training run that would finish first.)
scontrol release "$signalled"
pid=""
end=$(( $(date +%s) + 600 ))
signalled_log=runs/demo/logs/cast-demo-train2-${signalled}.log
while [ "$(date +%s)" -lt "$end" ]; do
  # Ended before cast caught USR1 (a cast train that installs no handler): nothing to signal.
  grep -q "cast exited with status" "$signalled_log" 2>/dev/null && break
  pid=$(pgrep -f "cast-scratch-log_kvrh-s0/store.db" | head -n 1)
  if [ -n "$pid" ]; then
    mask=$(awk '/^SigCgt/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    # USR1 is signal 10: bit 9 of the caught mask.
    [ -n "$mask" ] && (( (16#$mask >> 9) & 1 )) && break
  fi
  pid=""
  sleep 0.05
done
check "the training job started and caught USR1 (cast train installs its stop handlers)" test -n "$pid"
if [ -n "$pid" ]; then
  kill -STOP "$pid"
  scancel --batch --signal=USR1 "$signalled"
  sleep 1
  kill -CONT "$pid"
  end=$(( $(date +%s) + 120 ))
  until [ "$(squeue -h -j "$signalled" -o %T 2>/dev/null)" = PENDING ] || [ "$(date +%s)" -ge "$end" ]; do sleep 0.5; done
  check "signalled job is pending again (requeued)" test "$(squeue -h -j "$signalled" -o %T 2>/dev/null)" = PENDING
  # A requeued job waits ~2 min (BeginTime) by Slurm's default: start it in a few seconds instead
  # (retried while slurmctld is still settling the requeue). Not "now": slurmd revokes the first
  # attempt's credential at the requeue, with one-second resolution, and refuses a second attempt
  # launched within that second ("Job credential revoked"; the job then fails).
  for _ in $(seq 20); do scontrol update JobId="$signalled" StartTime=now+5 2>/dev/null && break; sleep 0.5; done
  # The second attempt is the job's own: wait for it to end before asking whether the queue is empty.
  end=$(( $(date +%s) + 600 ))
  until [ "$(grep -c 'cast exited with status' "$signalled_log" 2>/dev/null)" -ge 2 ] || [ "$(date +%s)" -ge "$end" ]; do sleep 1; done
fi

wait_queue_empty 900; rc=$?
check "every job ended within 15 min ($(elapsed))" test $rc -eq 0
[ $rc -eq 0 ] || squeue --me
log=$signalled_log
check "USR1: cast exited 75" grep -q "cast exited with status 75" "$log"
check "USR1: the job requeued itself" grep -q "requeueing job" "$log"
check "USR1: a second attempt ran" grep -q "attempt 2" "$log"
check "USR1: the second attempt resumed from last/" grep -qi "resum" <(sed -n '/attempt 2/,$p' "$log")
check "USR1: the second attempt succeeded" grep -q "cast exited with status 0" "$log"
finish_log=$(ls -t runs/demo/logs/cast-demo-finish-*.log 2>/dev/null | head -n 1)
check "the finish job ran to the end" grep -q "== finish: cast exited with status 0" "$finish_log"
[ -n "$finish_log" ] && ! grep -q "== finish: cast exited with status 0" "$finish_log" && tail -n 30 "$finish_log"
for f in table1.csv table1.md table2.csv; do
  check "slurm $f byte-identical to the local executor's" cmp "$work/local/results/demo/$f" "results/demo/$f"
done
cmp -s "$work/local/results/demo/table1.csv" results/demo/table1.csv || diff "$work/local/results/demo/table1.csv" results/demo/table1.csv
for f in table1.tex table2.md fig2.png fig3.png curves.png; do check "slurm wrote results/demo/$f" test -s "results/demo/$f"; done
check "no duplicate runs (6)" test "$(sqlite3 results/cast.db 'select count(*) from runs')" -eq 6
check "every run done" test "$(sqlite3 results/cast.db "select count(*) from runs where status='done'")" -eq 6
check "each step's own store exists" test "$(ls runs/demo/*/store.db | wc -l)" -eq 6
"$cast" reproduce all --recipes "$recipes" --executor slurm --status > status2.log 2>&1; rc=$?
check "status at the end: all done, exit 0" test $rc -eq 0
check "status at the end: 13 done" grep -q "^13 done$" status2.log
[ $rc -eq 0 ] || cat status2.log
"$cast" reproduce all --recipes "$recipes" --executor slurm > submit4.log 2>&1
check "submitted once more: nothing to submit" grep -q "every step is done and the finish job has run" submit4.log
check "submitted once more: nothing queued" queue_empty

echo "$fails failure(s) in $(elapsed)"
exit $((fails > 0))
