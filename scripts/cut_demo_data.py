#!/usr/bin/env python3
"""Cut the embedded demo set data/demo/ from the shared public data (../shared/data).

data/demo mirrors the layout and file names of ../shared/data (the names cast's default
sources use), with smaller files: each file holds the first N entries of its source, in the
source's order, where N is the largest --limit the demo profile's recipes (experiments/*.json)
read from that file. `--limit N` reads the first N entries of a source, so the demo on
data/demo reads exactly the entries it reads on ../shared/data. No sampling, hence no seed.

Usage:
  scripts/cut_demo_data.py [--shared DIR] [--out DIR]   cut, write data/demo/ and its README.md
  scripts/cut_demo_data.py --check [--shared DIR]       verify data/demo: size <= 10 MB, every file's
      SHA-256 as its README says, enough entries for the demo recipes, and (when the shared data is
      there) byte-identical to a fresh cut. Exit 0 ok, 1 a problem (named).

gzip is written with mtime 0 and no file name, so a cut is byte-reproducible.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_BYTES = 10 * 1000 * 1000

# The data file of each task when no --source is given: harness/cli/cmd_data.cpp,
# default_data_source(). Keep the two in step.
TASK_FILE = {
    "total_energy": "mp/mp_summary_elastic_3202.jsonl.gz",
    "formation_energy": "mp/mp_legacy_36737.jsonl.gz",
    "band_gap": "mp/mp_legacy_36737.jsonl.gz",
    "log_gvrh": "matbench/matbench_log_gvrh.subset.json.gz",
    "log_kvrh": "matbench/matbench_log_kvrh.subset.json.gz",
}
# Only what the demo recipes read: not the served Robocrystallographer descriptions (`cast describe
# --check` and the describer tests read them from ../shared/data), nor the llm4mat samples.


def demo_limits(recipes):
    """{file: (entries, [why...])} from the demo profile of the recipes."""
    need = {}

    def add(task, limit, why):
        if task not in TASK_FILE:
            sys.exit(f"{why}: task '{task}' has no default data file in this script; add it to TASK_FILE")
        if not limit:
            sys.exit(f"{why}: limit 0 (every entry) in the demo profile cannot be embedded; give it a limit")
        f = TASK_FILE[task]
        n, whys = need.get(f, (0, []))
        need[f] = (max(n, int(limit)), whys + [f"{why} {limit}"])

    t1 = json.load(open(os.path.join(recipes, "table1.json")))["profiles"]["demo"]
    for task, spec in t1["tasks"].items():
        add(task, spec.get("limit", 0), f"table1 {task}")
    for kind, spec in t1.get("pretrain", {}).items():
        add(spec["task"], spec.get("limit", 0), f"pretrain {kind} ({spec['task']})")
    lm = json.load(open(os.path.join(recipes, "lm-pretrain.json")))["profiles"]["demo"]
    add(lm["corpus_task"], lm.get("limit", 0), f"lm-pretrain corpus ({lm['corpus_task']})")
    return need


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as g:
        g.write(data)
    return buf.getvalue()


def cut_jsonl(src, n):
    """The first n lines (0: all), byte for byte."""
    lines = gzip.open(src, "rb").read().splitlines(keepends=True)
    total = len(lines)
    if n and total < n:
        sys.exit(f"{src}: {total} entries, the demo needs {n}")
    keep = lines if not n else lines[:n]
    for i, l in enumerate(keep, 1):
        json.loads(l)  # a bad line is named, not embedded
    return b"".join(keep), len(keep), total


def cut_matbench(src, n):
    """The first n rows of a pandas 'split' JSON, same layout."""
    d = json.load(gzip.open(src, "rt"))
    if set(d) != {"index", "columns", "data"} or len(d["index"]) != len(d["data"]):
        sys.exit(f"{src}: not a pandas 'split' JSON with index, columns and data of one length")
    total = len(d["data"])
    if total < n:
        sys.exit(f"{src}: {total} entries, the demo needs {n}")
    out = {"index": d["index"][:n], "columns": d["columns"], "data": d["data"][:n]}
    return json.dumps(out).encode(), n, total


def count_entries(path):
    raw = gzip.open(path, "rb").read()
    if path.endswith(".jsonl.gz"):
        return sum(1 for l in raw.splitlines() if l.strip())
    return len(json.loads(raw)["data"])


def make(shared, recipes):
    """{relative path: (gzip bytes, entries, source entries, why)}"""
    files = {}
    for rel, (n, whys) in sorted(demo_limits(recipes).items()):
        src = os.path.join(shared, rel)
        if not os.path.isfile(src):
            sys.exit(f"{src}: missing; pass --shared DIR (the folder holding mp/, matbench/, text/)")
        data, k, total = (cut_matbench if rel.startswith("matbench/") else cut_jsonl)(src, n)
        files[rel] = (gz(data), k, total, "; ".join(whys))
    return files


README_HEAD = """# The embedded demo set

Real Materials Project data, small enough to live in the repository ({total_mb:.2f} MB in all),
so that a clone with nothing beside it runs the demo (`scripts/demo.sh`,
`cast reproduce all --profile demo`). cast uses this folder only when there is no other data
folder: `$CAST_DATA_DIR` first, then `../shared/data` (or `shared/data`) beside the working
directory or the binary, then this `data/demo` (`cast doctor` says which one is in use).

Do not edit these files by hand: `scripts/cut_demo_data.py` writes them and this README, and
`scripts/cut_demo_data.py --check` (ctest `demo_data`) verifies them.

## Source and license

- **Materials Project** (https://materialsproject.org), data licensed under
  [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/). Attribution: A. Jain, S. P. Ong,
  G. Hautier, W. Chen, W. D. Richards, S. Dacek, S. Cholia, D. Gunter, D. Skinner, G. Ceder,
  K. A. Persson, "The Materials Project: A materials genome approach to accelerating materials
  innovation", APL Materials 1, 011002 (2013), doi:10.1063/1.4812323.
  - `mp/mp_legacy_36737.jsonl.gz`: MP summary documents of the 2018 database (the CGCNN / MEGNet
    set: structure, `formation_energy_per_atom`, `band_gap`).
  - `mp/mp_summary_elastic_3202.jsonl.gz`: current MP summary documents with `energy_per_atom`,
    `formation_energy_per_atom`, `band_gap`, `is_metal`, `bulk_modulus`, `shear_modulus`.
- **MatBench v0.1** (A. Dunn, Q. Wang, A. Ganose, D. Dopp, A. Jain, "Benchmarking materials
  property prediction methods: the Matbench test set and Automatminer reference algorithm",
  npj Comput. Mater. 6, 138 (2020), doi:10.1038/s41524-020-00406-3; derived from MP, CC BY 4.0):
  `matbench/matbench_log_{{gvrh,kvrh}}.subset.json.gz`, MatBench's pandas "split" layout with a
  `material_id` column (rows matched to MP structures by composition and space group; the
  official files have no such column).

The file names are those of `../shared/data` (what `cast data prepare` reads by default), so
the counts in the names are those of the full files; the entries here are the first ones of
each, counted below. Provenance of the full files: `../shared/data/README.md` and
`../shared/data/provenance/`.

## How it was cut

`scripts/cut_demo_data.py --shared ../shared/data` keeps, of each file, the **first N entries in
the file's own order** (no sampling, no seed): N is the largest `--limit` that the demo profile
of `experiments/*.json` reads from that file (`--limit N` reads the first N entries, so the demo
reads the same entries here as on the full files). JSON lines are copied byte for byte; MatBench
files are the first N rows of `index` and `data` with the same `columns`. gzip level 9,
mtime 0, no file name: the cut is byte-reproducible.

| file | entries | of | why | bytes | SHA-256 |
|---|---|---|---|---|---|
"""


def write_readme(out, files):
    total = sum(len(v[0]) for v in files.values())
    s = README_HEAD.format(total_mb=total / 1e6)
    for rel, (data, k, n, why) in sorted(files.items()):
        s += f"| `{rel}` | {k} | {n} | {why} | {len(data)} | `{hashlib.sha256(data).hexdigest()}` |\n"
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(s)
    return total


def readme_hashes(out):
    rows = {}
    for line in open(os.path.join(out, "README.md")):
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].endswith(".gz"):
            rows[cells[0]] = (int(cells[1]), int(cells[4]), cells[5])
    return rows


def check(out, shared, recipes):
    problems = []
    rows = readme_hashes(out)
    on_disk = []
    for dp, _, fs in os.walk(out):
        for f in fs:
            if f != "README.md":
                on_disk.append(os.path.relpath(os.path.join(dp, f), out))
    total = sum(os.path.getsize(os.path.join(out, f)) for f in on_disk)
    if total > MAX_BYTES:
        problems.append(f"{out}: {total} bytes, over the 10 MB limit")
    for f in sorted(set(on_disk) - set(rows)):
        problems.append(f"{out}/{f}: not listed in {out}/README.md")
    for rel, (k, size, sha) in sorted(rows.items()):
        p = os.path.join(out, rel)
        if not os.path.isfile(p):
            problems.append(f"{p}: listed in README.md but missing")
            continue
        data = open(p, "rb").read()
        if hashlib.sha256(data).hexdigest() != sha or len(data) != size:
            problems.append(f"{p}: SHA-256 {hashlib.sha256(data).hexdigest()} ({len(data)} bytes), README.md says {sha} ({size}); rerun scripts/cut_demo_data.py")
        elif count_entries(p) != k:
            problems.append(f"{p}: {count_entries(p)} entries, README.md says {k}")
    for rel, (n, whys) in demo_limits(recipes).items():
        if rel in rows and rows[rel][0] < n:
            problems.append(f"{out}/{rel}: {rows[rel][0]} entries, the demo recipes read {n} ({'; '.join(whys)}); rerun scripts/cut_demo_data.py")
        if rel not in rows:
            problems.append(f"{out}/{rel}: missing; the demo recipes read it ({'; '.join(whys)})")
    fresh = "skipped (no shared data)"
    if shared and os.path.isdir(shared):
        files = make(shared, recipes)
        same = all(os.path.isfile(os.path.join(out, r)) and open(os.path.join(out, r), "rb").read() == v[0]
                   for r, v in files.items())
        if not same or set(files) != set(rows):
            problems.append(f"{out}: differs from a fresh cut of {shared}; rerun scripts/cut_demo_data.py")
        fresh = "byte-identical to a fresh cut of " + shared
    for p in problems:
        print("FAIL", p)
    print(f"{out}: {len(rows)} files, {total} bytes; {fresh}; {'problems: ' + str(len(problems)) if problems else 'ok'}")
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=os.environ.get("CAST_DATA_DIR") or os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(ROOT, "data", "demo"))
    ap.add_argument("--recipes", default=os.path.join(ROOT, "experiments"))
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    if a.check:
        sys.exit(check(a.out, a.shared, a.recipes))
    files = make(a.shared, a.recipes)
    for rel, (data, k, n, why) in files.items():
        p = os.path.join(a.out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=os.path.dirname(p), delete=False) as t:
            t.write(data)
        os.replace(t.name, p)
        print(f"{p}: {k} of {n} entries, {len(data)} bytes")
    total = write_readme(a.out, files)
    if total > MAX_BYTES:
        sys.exit(f"{a.out}: {total} bytes, over the 10 MB limit; lower the demo limits")
    print(f"{a.out}: {total} bytes in all")


if __name__ == "__main__":
    main()
