#!/bin/bash
# Seed corpus of the reader fuzz targets: tests/fixtures, ../shared/fixtures and small cuts of
# ../shared/data (when present), plus the regression inputs. Usage: seed_corpus.sh SRC OUT
# (writes OUT/<reader>/...).
set -euo pipefail
src=$1; out=$2
shared=${CAST_SHARED_DIR:-$src/../shared}
fx=$src/tests/fixtures
for r in cif poscar pymatgen_json mp_jsonl matbench id_prop; do mkdir -p "$out/$r"; done
cp "$fx"/*.cif "$fx"/bad/*.cif "$fx"/cif_folder/*.cif "$out/cif/"
cp "$fx"/POSCAR-* "$fx"/bad/POSCAR-* "$fx"/idprop_mixed/*.vasp "$out/poscar/"
cp "$fx"/bad/mixed-entries.jsonl "$out/mp_jsonl/"
cp "$fx"/bad/matbench-index-not-array.json "$out/matbench/"
cp "$fx"/cif_folder/id_prop.csv "$out/id_prop/cgcnn.csv"
cp "$fx"/idprop_mixed/id_prop.csv "$out/id_prop/alignn.csv"
printf 'id,target\nnacl,1.0\nmp-149.vasp,0.5\nnacl.cif, 2\n' > "$out/id_prop/header.csv"
# One pymatgen document per line of the JSON-lines fixture.
i=0
while IFS= read -r line; do
  i=$((i + 1)); printf '%s' "$line" > "$out/pymatgen_json/mixed-$i.json"
done < "$fx"/bad/mixed-entries.jsonl
ref=$shared/fixtures/structure_ref/mp_structures_ref.jsonl.gz
if [ -f "$ref" ] && command -v python3 >/dev/null; then
  python3 - "$ref" "$out" <<'PY'
import ast, gzip, json, sys
ref, out = sys.argv[1], sys.argv[2]
for k, line in enumerate(gzip.open(ref, "rt")):
    if k >= 12: break
    d = json.loads(line)
    open(f"{out}/cif/ref-{d['material_id']}.cif", "w").write(d["cif"])
    s = d["structure"]
    if isinstance(s, str):
        s = json.loads(s) if s.startswith('{"') else ast.literal_eval(s)
    json.dump(s, open(f"{out}/pymatgen_json/ref-{d['material_id']}.json", "w"))
PY
fi
mp=$shared/data/mp/mp_legacy_36737.jsonl.gz
[ -f "$mp" ] && { zcat "$mp" 2>/dev/null | head -3 > "$out/mp_jsonl/mp-legacy-3.jsonl" || true; }
mb=$shared/data/matbench/matbench_log_gvrh.subset.json.gz
if [ -f "$mb" ] && command -v python3 >/dev/null; then
  python3 - "$mb" "$out/matbench/log_gvrh-2rows.json" <<'PY'
import gzip, json, sys
d = json.load(gzip.open(sys.argv[1], "rt"))
d["index"], d["data"] = d["index"][:2], d["data"][:2]
json.dump(d, open(sys.argv[2], "w"))
PY
fi
for r in cif poscar pymatgen_json mp_jsonl matbench id_prop; do
  cp "$src"/tests/fuzz/regressions/$r/* "$out/$r/" 2>/dev/null || true
done
