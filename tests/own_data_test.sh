#!/usr/bin/env bash
# A user's own data and every second run (issue 18), through the binary: a second dataset under
# the same model/task/seed is another run; a redo replaces its epochs; a refused rerun leaves a
# finished run as it was; Table 1 is untouched by an ad-hoc 'cast train'; id_prop.csv with .vasp
# ids; a custom property with its unit and no filters; a folder prediction with an empty file
# under both --on-error modes; an ensemble's mean and std; 'cast' without pretraining refused;
# the smaller CLI points (results list --db, export of a missing run, -o into a missing folder).
# Usage: own_data_test.sh PATH/TO/cast TESTS_DIR
set -u
. "$(dirname "$0")/common.sh" "$@"
kvrh="$shared/data/matbench/matbench_log_kvrh.subset.json.gz"
mp="$shared/data/mp/mp_legacy_36737.jsonl.gz"
need "$kvrh" "$mp"
unset CAST_TEXT_ENCODER CAST_DATA_DIR
work=$(mktemp -d /tmp/cast-own-data-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
export CAST_CACHE_DIR="$work/cache"
train() { "$cast" train --model cogn --task log_kvrh --source "$kvrh" -q "$@"; }
q() { sqlite3 "$1" "$2"; }

# A second dataset under the same model, task and seed is another run; the first stays as it was.
train --epochs 2 --seed 0 --limit 120 --db s.db --out r120 > a.log 2>&1
check "first run exit 0" test $? -eq 0
"$cast" results export 1 --db s.db > first.csv
train --epochs 2 --seed 0 --limit 150 --db s.db --out r150 > b.log 2>&1
check "second dataset exit 0" test $? -eq 0
check "second dataset is a second run" test "$(q s.db "select count(*) from runs where status='done'")" -eq 2
check "two dataset identities" test "$(q s.db "select count(distinct dataset) from runs")" -eq 2
"$cast" results export 1 --db s.db > first-after.csv
check "first run's predictions untouched" cmp -s first.csv first-after.csv
check "results list --db after the subcommand" grep -q ' done ' <("$cast" results list --db s.db)

# A redo of a finished run (same identity, another run directory) replaces its epochs whole.
train --seed 0 --limit 120 --db s.db --out r120-redo --epochs 3 > redo.log 2>&1
check "redo exit 0" test $? -eq 0
check "redo says it replaces a finished run" grep -q "already finished" redo.log
check "redo replaced the epochs (3, not 2 or 5)" test "$(q s.db "select count(*) from epochs where run_id=1")" -eq 3
check "still two runs" test "$(q s.db "select count(*) from runs")" -eq 2

# A refused rerun (the checkpoint in --out was written with another configuration) changes nothing.
before=$(q s.db "select status, finished from runs where id=1")
train --seed 0 --limit 120 --db s.db --out r120-redo --epochs 5 > refused.log 2>&1; rc=$?
check "refused rerun exit 1" test $rc -eq 1
check "refused rerun says why" grep -q "another configuration" refused.log
check "refused rerun leaves the run done" test "$(q s.db "select status, finished from runs where id=1")" = "$before"
check "refused rerun leaves its epochs" test "$(q s.db "select count(*) from epochs where run_id=1")" -eq 3

# Table 1 shows the table1 experiment only: an ad-hoc 'cast train' (experiment manual) leaves it.
train --epochs 2 --seed 0 --limit 120 --db t.db --out t0 --experiment table1 > t0.log 2>&1
"$cast" results table --db t.db --format csv > table-before.csv
train --epochs 2 --seed 1 --limit 120 --db t.db --out t1 > t1.log 2>&1
"$cast" results table --db t.db --format csv > table-after.csv
check "ad-hoc train recorded under 'manual'" test "$(q t.db "select experiment from runs where seed=1")" = manual
check "Table 1 untouched by an ad-hoc train" cmp -s table-before.csv table-after.csv
check "Table 1 has the table1 run" grep -q '^cogn,log_kvrh,1,' table-before.csv

# id_prop.csv as ALIGNN writes it: POSCAR files with a .vasp extension named in the csv.
mkdir -p vasp
python3 - "$kvrh" vasp <<'PY'
import gzip, json, sys
d = json.load(gzip.open(sys.argv[1]))
col = d["columns"].index("structure"); tcol = 1 - col
rows = []
for k, (idx, row) in enumerate(zip(d["index"], d["data"])):
    if k == 60: break
    s = row[col]; m = s["lattice"]["matrix"]
    species = [site["species"][0]["element"] for site in s["sites"]]
    order = sorted(range(len(species)), key=lambda i: species[i])
    elems = []
    for i in order:
        if not elems or elems[-1][0] != species[i]: elems.append([species[i], 0])
        elems[-1][1] += 1
    lines = [str(idx), "1.0"] + [" ".join(f"{x:.10f}" for x in v) for v in m]
    lines += [" ".join(e for e, _ in elems), " ".join(str(n) for _, n in elems), "Direct"]
    lines += [" ".join(f"{x:.10f}" for x in s["sites"][i]["abc"]) for i in order]
    open(f"{sys.argv[2]}/{idx}.vasp", "w").write("\n".join(lines) + "\n")
    rows.append(f"{idx}.vasp,{row[tcol]}")
open(f"{sys.argv[2]}/id_prop.csv", "w").write("\n".join(rows) + "\n")
PY
"$cast" train --model cogn --task custom --unit "log10(GPa)" --source vasp --epochs 2 -q --db own.db --out own \
  > own.log 2>&1; rc=$?
check "id_prop.csv with .vasp ids trains (custom task)" test $rc -eq 0
[ $rc -eq 0 ] || tail -5 own.log
check "custom task named by its field" test "$(q own.db "select task from runs")" = custom-target
check "every .vasp row read (60 kept)" grep -q "60 entries read, 60 kept, 0 removed" own.log
check "custom unit shown with the MAE" grep -q "test MAE [0-9.]* log10(GPa)" own.log

# A custom property gets no filters unless asked: every band gap of the first 300 MP entries is
# kept (metals too), where the band_gap task removes the metals with the paper's filters.
"$cast" data prepare --task custom --target band_gap --unit eV --source "$mp" --limit 300 -q --no-cache > custom.log 2>&1
"$cast" data prepare --task band_gap --source "$mp" --limit 300 -q --no-cache > paper.log 2>&1
expected=$(python3 - "$mp" <<'PY'
import gzip, json, sys
n = 0
for k, line in enumerate(gzip.open(sys.argv[1], "rt")):
    if k == 300: break
    if isinstance(json.loads(line).get("band_gap"), (int, float)): n += 1
print(n)
PY
)
kept=$(sed -n 's/.*entries read, \([0-9]*\) kept.*/\1/p' custom.log)
check "custom task keeps every entry with the field ($expected)" test "$kept" = "$expected"
check "custom task removes nothing by filter" test -z "$(grep 'removed .* filter:' custom.log)"
check "band_gap task removes the metals, counted" grep -q "filter: metal (band gap 0)" paper.log
err=$("$cast" data prepare --task log_kvrh --target x --source "$kvrh" 2>&1)
check "--target refused for a paper task" grep -q "target is for '--task custom'" <<<"$err"

# Predictions for a folder of structures (no id_prop.csv), ids from the file names.
mkdir -p mine
cp "$dir/fixtures/NaCl-Fm-3m-225.cif" mine/salt.cif
cp "$dir/fixtures/TiO2-rutile-P4_2mnm-136.cif" mine/rutile.cif
: > mine/empty.cif
"$cast" predict --checkpoint r120 mine -o pred.csv -q > p.log 2> p.err; rc=$?
check "folder prediction (skip) exit 0" test $rc -eq 0
check "folder prediction: two rows" test "$(tail -n +2 pred.csv | wc -l)" -eq 2
check "ids from file names, file column" grep -q '^salt,mine/salt.cif,' pred.csv
check "the empty file is named as skipped" grep -q "skipped: .*empty.cif" p.err
"$cast" predict --checkpoint r120 mine --on-error fail -q > f.log 2>&1; rc=$?
check "folder prediction (fail) exit 1" test $rc -eq 1
check "fail mode names the empty file" grep -q "empty.cif" f.log
"$cast" predict --checkpoint r120 mine --format json -q 2>/dev/null > pred.json
check "json output" python3 -c "import json,sys; d=json.load(open('pred.json')); assert len(d['predictions'])==2"

# An ensemble: the mean and standard deviation of the single models, per structure.
train --epochs 2 --seed 1 --limit 120 --db s.db --out r120s1 > s1.log 2>&1
"$cast" predict --checkpoint r120 "$kvrh" --limit 40 -o p0.csv -q 2>/dev/null
"$cast" predict --checkpoint r120s1 "$kvrh" --limit 40 -o p1.csv -q 2>/dev/null
"$cast" predict --checkpoint r120 --checkpoint r120s1 "$kvrh" --limit 40 -o pe.csv -q 2> pe.err
check "ensemble mean and std equal the single models'" python3 - p0.csv p1.csv pe.csv <<'PY'
import csv, math, sys
a, b, e = ({r["id"]: r for r in csv.DictReader(open(f))} for f in sys.argv[1:4])
assert len(e) == 40, len(e)
for k, r in e.items():
    x, y = float(a[k]["log_kvrh_predicted"]), float(b[k]["log_kvrh_predicted"])
    assert abs(float(r["log_kvrh_predicted"]) - (x + y) / 2) < 1e-6, k
    assert abs(float(r["std"]) - abs(x - y) / math.sqrt(2)) < 1e-6, k
    assert r["models"] == "2"
    assert abs(float(r["abs_error"]) - abs((x + y) / 2 - float(r["target"]))) < 1e-6
PY
check "ensemble reports the MAE against the targets" grep -q "MAE against the targets present: .* over 40 structures" pe.err

# Models that are what they say.
err=$("$cast" train --model cast --task log_kvrh --source "$kvrh" --limit 60 --db x.db 2>&1); rc=$?
check "cast without --init-from refused" test $rc -eq 1
check "cast without --init-from names the way out" grep -q "cast pretrain --kind mnp.*cast-scratch" <<<"$err"
check "refused before any record" test ! -e x.db

# USR1 (a cluster's time limit) or SIGTERM: the current step finishes, last/ is written, exit 75;
# the same command again resumes there and the run ends with every epoch recorded once.
"$cast" train --model cogn --task log_kvrh --source "$kvrh" --limit 300 --epochs 30 --seed 3 --db sig.db --out sig \
  > sig1.log 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q '^2 ' sig1.log 2>/dev/null && break; sleep 0.2; done
kill -USR1 "$pid"; wait "$pid"; rc=$?
check "USR1: exit 75 (run me again)" test $rc -eq 75
check "USR1: says where to resume" grep -q "run the same command again to resume" sig1.log
check "USR1: last/ written" test -s sig/last/state.json
check "USR1: the run is not marked failed" test "$(q sig.db "select status from runs")" = running
"$cast" train --model cogn --task log_kvrh --source "$kvrh" --limit 300 --epochs 30 --seed 3 --db sig.db --out sig \
  > sig2.log 2>&1
check "resumed run exit 0" test $? -eq 0
check "resumed run: 30 epochs recorded, once each" test "$(q sig.db "select count(*), count(distinct epoch) from epochs")" = "30|30"
check "resumed run done" test "$(q sig.db "select status from runs")" = done

# Table 1's reference row against the mean predictor computed here, in SQL, from the stored
# training and test predictions' targets of the table1 run (issue 16).
ref=$(q t.db "select printf('%.4f', avg(abs(p.y_true - m.mean))) from predictions p,
  (select avg(y_true) as mean from predictions where run_id=(select id from runs where experiment='table1') and split='train') m
  where p.run_id=(select id from runs where experiment='table1') and p.split='test'")
check "training-split predictions are stored" test "$(q t.db "select count(*) from predictions where split='train'")" -gt 50
check "Table 1's reference row is the mean predictor ($ref)" grep -q "^mean-predictor (reference),log_kvrh,1,$ref,0.0000,,,,log10(GPa)$" table-after.csv

# A gnuplot template edited in a temporary copy changes the figure (cast plot --template).
sed 's/^set multiplot layout rows,cols title figure_title noenhanced/set multiplot layout rows,cols title "A TITLE OF MY OWN" noenhanced/' \
  "$dir/../plots/curves.gp" > my_curves.gp
check "the template copy differs" bash -c '! cmp -s my_curves.gp "$0"' "$dir/../plots/curves.gp"
"$cast" plot curves --db t.db --seed 0 -o default_curves > plot1.log 2>&1
check "plot curves with the default template" test -s default_curves.svg
"$cast" plot curves --db t.db --seed 0 --template my_curves.gp -o my_curves_out > plot2.log 2>&1
check "plot curves with my template" test -s my_curves_out.svg
check "my template's title is in the figure" grep -q "A TITLE OF MY OWN" my_curves_out.svg
check "the default template's title is not" bash -c '! grep -q "A TITLE OF MY OWN" default_curves.svg'
"$cast" plot curves --db t.db --seed 0 --template nowhere.gp -o x > plot3.log 2>&1
check "a missing template is named" grep -q "nowhere.gp: no such gnuplot template" plot3.log

# The smaller points.
err=$("$cast" results export 99 --db s.db 2>&1); rc=$?
check "export of a missing run: exit 1, named" test $rc -eq 1 -a -n "$(grep 'no run 99' <<<"$err")"
err=$("$cast" results table --db s.db -o nowhere/t.md 2>&1)
check "-o into a missing folder names the folder" grep -q "nowhere/t.md: cannot write: the folder nowhere does not exist" <<<"$err"

echo "$fails failure(s)"
exit $((fails > 0))
