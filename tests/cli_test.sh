#!/usr/bin/env bash
# Golden behaviour of the cast binary: outputs, messages and exit codes.
# Usage: cli_test.sh PATH/TO/cast TESTS_DIR
set -u
cast="$1"; dir="$2"; fx="$dir/fixtures"; fails=0
check() { # name, condition-command...
  local name="$1"; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails+1)); fi
}
out=$("$cast" inspect --json "$fx/NaCl-Fm-3m-225.cif")
check "inspect --json keys" grep -q '"asu_multiplicity":\[4,4\]' <<<"$out"
check "inspect --json spacegroup" grep -q '"spacegroup_symbol":"Fm-3m"' <<<"$out"
check "inspect --json n_edges" grep -q '"n_edges":52' <<<"$out"
for k in id formula nsites spacegroup_number spacegroup_symbol crystal_system asu_sites asu_multiplicity knn_distances n_edges; do
  check "inspect --json has $k" grep -q "\"$k\":" <<<"$out"
done
out=$("$cast" inspect "$fx/TiO2-rutile-P4_2mnm-136.cif")
check "inspect text" grep -q 'TiO2  nsites 6  P4_2/mnm (136)  tetragonal' <<<"$out"

err=$("$cast" inspect "$fx/bad/truncated.cif" 2>&1 >/dev/null); rc=$?
check "truncated CIF exit 1" test $rc -eq 1
check "truncated CIF names file" grep -q 'ERROR: .*truncated.cif' <<<"$err"
err=$("$cast" inspect "$fx/bad/POSCAR-overlap" 2>&1 >/dev/null)
check "overlap message" grep -q 'POSCAR-overlap.*overlapping atoms' <<<"$err"
err=$("$cast" inspect "$fx/bad/partial-occupancy.cif" 2>&1 >/dev/null)
check "partial occupancy message" grep -q 'partial-occupancy.cif.*partial occupancy' <<<"$err"

out=$("$cast" data validate "$fx/bad/mixed-entries.jsonl" 2>/dev/null); rc=$?
check "validate exit 1 on bad entries" test $rc -eq 1
check "validate summary" grep -q '8 entries: 6 bad, 0 suspicious, 2 fine' <<<"$out"
check "validate names line" grep -q 'mixed-entries.jsonl:2: not a JSON object' <<<"$out"

# Issue 18: a bad file is reported and the next ones are still read, by inspect and validate.
out=$("$cast" inspect --json "$fx/bad/matbench-index-not-array.json" "$fx/bad/NaCl-typo-coordinate.cif" \
      "$fx/NaCl-Fm-3m-225.cif" 2>/tmp/cast-cli-err-$$); rc=$?; err=$(cat /tmp/cast-cli-err-$$); rm -f /tmp/cast-cli-err-$$
check "inspect goes on after bad files" grep -q '"spacegroup_symbol":"Fm-3m"' <<<"$out"
check "inspect names the bad MatBench index" grep -q "matbench-index-not-array.json: 'index' must be an array" <<<"$err"
check "inspect names the bad coordinate" grep -q "NaCl-typo-coordinate.cif:.*_atom_site_fract_y = '0.0O000000' is not a number" <<<"$err"
check "inspect exit 1 with bad files" test $rc -eq 1
out=$("$cast" data validate "$fx/plain_folder" "$fx/bad/matbench-index-not-array.json" "$fx/bad/NaCl-misspelt-cell-tag.cif" 2>/dev/null)
check "validate lists every bad file of a folder" grep -q 'BAD .*plain_folder/empty.cif' <<<"$out"
check "validate names the misspelt tag" grep -q 'missing _cell_length_b (line .*_cell_lenght_b' <<<"$out"
check "validate summary over files" grep -q '6 entries: 3 bad, 0 suspicious, 3 fine' <<<"$out"

out=$("$cast" data prepare --task band_gap --source "$fx/bad/mixed-entries.jsonl" --no-cache -q 2>&1)
check "prepare counts" grep -q '8 entries read, 1 kept, 7 removed' <<<"$out"
check "prepare table2" grep -q '| train |' <<<"$out"
err=$("$cast" data prepare --task gap --source "$fx/bad/mixed-entries.jsonl" 2>&1); rc=$?
check "unknown task lists valid ones" grep -q "unknown task 'gap'; valid tasks: total_energy, formation_energy, band_gap, log_gvrh, log_kvrh" <<<"$err"
check "unknown task exit 1" test $rc -eq 1
err=$("$cast" data prepare --task band_gap --source "$fx/bad/mixed-entries.jsonl" --no-cache -q --on-error fail 2>&1); rc=$?
check "on-error fail exit 1" test $rc -eq 1
check "on-error fail names entry" grep -q 'mixed-entries.jsonl:2' <<<"$err"
shared="${CAST_SHARED_DIR:-$dir/../../shared}"
F="$shared/fixtures/hf_bert_tiny_shared"
if [ -f "$F/tokenizer_cases.jsonl" ]; then
  "$cast" lm tokenize --vocab "$F/vocab.txt" --normalizer-map "$shared/fixtures/matscibert/vocab_mappings.txt" \
    "$F/tokenizer_cases.jsonl" > /tmp/cast-cli-tok.$$ 2>/dev/null
  check "lm tokenize equals BertTokenizer on 24 cases" python3 -c "
import json,sys
ref=[json.loads(l)['ids_normalized_trunc512'] for l in open('$F/tokenizer_cases.jsonl')]
out=[json.loads(l)['ids'] for l in open('/tmp/cast-cli-tok.$$')]
sys.exit(0 if ref==out else 1)"
  rm -f /tmp/cast-cli-tok.$$
  printf '{"text": "ok"}\n[1]\n' > /tmp/cast-cli-bad.$$
  err=$("$cast" lm tokenize --vocab "$F/vocab.txt" /tmp/cast-cli-bad.$$ 2>&1 >/dev/null); rc=$?
  check "lm tokenize names a bad line" grep -q "cast-cli-bad.$$:2: not a JSON object" <<<"$err"
  check "lm tokenize exit 1 on a bad line" test $rc -eq 1
  rm -f /tmp/cast-cli-bad.$$
else
  echo "skip lm tokenize checks: $F not found"
fi
# Continued pretraining (--init): architecture and vocabulary come from the checkpoint, positions
# beyond its own are tiled; a directory without a checkpoint is named.
lmdir=$(mktemp -d)
for i in $(seq 1 120); do
  el=$(( i % 4 )); els=(Na K Rb Cs)
  echo "{\"material_id\": \"t-$i\", \"description\": \"${els[$el]}Cl crystallizes in the cubic space group. ${els[$el]} is bonded to six equivalent Cl atoms to form edge-sharing octahedra. All ${els[$el]}-Cl bond lengths are 2.$i A.\"}"
done > "$lmdir/corpus.jsonl"
"$cast" lm pretrain --corpus "$lmdir/corpus.jsonl" --out "$lmdir/a" --epochs 1 --vocab-size 200 -q > "$lmdir/a.log" 2>&1
check "lm pretrain writes a checkpoint" test -f "$lmdir/a/model.safetensors"
err=$("$cast" lm pretrain --init "$lmdir/a" --corpus "$lmdir/corpus.jsonl" --out "$lmdir/b" --epochs 1 --max-length 256 2>&1)
check "lm pretrain --init extends positions" grep -q "position embeddings extended from 128 to 256" <<<"$err"
check "lm pretrain --init keeps the vocabulary" cmp -s "$lmdir/a/vocab.txt" "$lmdir/b/vocab.txt"
check "lm pretrain --init config" grep -q '"max_position_embeddings": *256' "$lmdir/b/config.json"
err=$("$cast" lm pretrain --init "$lmdir/none" --corpus "$lmdir/corpus.jsonl" --out "$lmdir/c" 2>&1); rc=$?
check "lm pretrain --init names a missing checkpoint" grep -q "$lmdir/none: no config.json" <<<"$err"
check "lm pretrain --init missing exit 1" test $rc -ne 0
# --device: every command that trains or runs a model takes it; a bad name and a GPU this LibTorch
# cannot see are refused before any work, naming the way out.
if "$cast" doctor 2>/dev/null | grep -q "CUDA devices *0"; then
  for sub in "lm pretrain --corpus $lmdir/corpus.jsonl --out $lmdir/d" "pretrain --kind mnp --out $lmdir/e" \
             "train --model cogn --task log_kvrh --out $lmdir/f" "predict --checkpoint $lmdir/f x.cif" \
             "explain --checkpoint $lmdir/f x.cif" "figure-data fig3 --db $lmdir/x.db"; do
    err=$("$cast" $sub --device cuda 2>&1 >/dev/null); rc=$?
    check "${sub%% -*} --device cuda without CUDA: refused" grep -q "this LibTorch sees no CUDA device.*use --device cpu" <<<"$err"
    check "${sub%% -*} --device cuda exit 1" test $rc -eq 1
  done
  err=$("$cast" lm pretrain --corpus "$lmdir/corpus.jsonl" --out "$lmdir/d" --device tpu 2>&1 >/dev/null)
  check "--device tpu: not a device" grep -q "'tpu': not a device (cpu, cuda, cuda:N)" <<<"$err"
  check "nothing written for a refused device" test ! -e "$lmdir/d" -a ! -e "$lmdir/e" -a ! -e "$lmdir/f"
fi
"$cast" lm pretrain --corpus "$lmdir/corpus.jsonl" --out "$lmdir/g" --epochs 1 --vocab-size 200 --device cpu -q > /dev/null 2>&1
check "lm pretrain --device cpu" test -f "$lmdir/g/model.safetensors"
rm -rf "$lmdir"
# calibrate: one step of two models and LM pretraining on the CPU, recorded and used by the dry run
caldir=$(mktemp -d)
out=$("$cast" calibrate --profile demo --device cpu --models cogn,bert --steps 1 --warmup 0 --batch-size 4 --db "$caldir/c.db" 2>&1); rc=$?
check "calibrate exit 0" test $rc -eq 0
check "calibrate times cogn" grep -qE '^train:cogn +[0-9.]+ ' <<<"$out"
check "calibrate leaves out the models not asked for" bash -c '! grep -q "^train:cast " <<<"$1"' _ "$out"
out=$("$cast" reproduce all --profile demo --device cpu --dry-run --db "$caldir/c.db" 2>&1)
check "dry run prices LM pretraining from the calibration" grep -qE '^todo +lm-pretrain .*\[store \(demo, cpu' <<<"$out"
check "dry run prints a total" grep -qE 'steps to run: .* of step time' <<<"$out"
err=$("$cast" calibrate --profile demo --models nosuch --db "$caldir/c.db" 2>&1 >/dev/null); rc=$?
check "calibrate names an unknown model" grep -q "nosuch" <<<"$err"
check "calibrate unknown model exit 1" test $rc -ne 0
rm -rf "$caldir"
echo "$fails failures"
exit $((fails > 0))
