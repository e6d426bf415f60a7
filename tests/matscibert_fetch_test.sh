#!/usr/bin/env bash
# cast data fetch matscibert from a local mirror (the shared tiny BERT fixture standing in for
# MatSciBERT's files): installed when every SHA-256 matches, refused with nothing installed when
# one does not; and a pytorch_model.bin converted from the fixture's model.safetensors with
# Debian's python3-torch (scripts/hf_to_pytorch_bin.py: torch.save of the state dict) gives the
# same last hidden states as the safetensors within 1e-6 (cast lm embed on the fixture's texts).
# Usage: matscibert_fetch_test.sh PATH/TO/cast TESTS_DIR
set -u
. "$(dirname "$0")/common.sh" "$@"
F="$shared/fixtures/hf_bert_tiny_shared"
need "$F/model.safetensors"
work=$(mktemp -d /tmp/cast-matscibert-test.XXXXXX)
[ -n "${CAST_KEEP_TEST_DIR:-}" ] && echo "keeping $work" || trap 'rm -rf "$work"' EXIT
cd "$work"

# A mirror: the files under their hub names, and their sums (sha256sum's own output).
mkdir mirror && cp "$F/config.json" "$F/vocab.txt" "$F/model.safetensors" mirror/
(cd mirror && sha256sum config.json vocab.txt model.safetensors) > sums.txt
"$cast" data fetch matscibert --mirror mirror --sha256-file sums.txt --out enc > fetch.out 2>&1; rc=$?
check "mirror with matching hashes: exit 0" test $rc -eq 0
[ $rc -eq 0 ] || cat fetch.out
check "installed: config.json, vocab.txt, model.safetensors identical to the mirror's" \
  bash -c 'cmp -s mirror/config.json enc/config.json && cmp -s mirror/vocab.txt enc/vocab.txt && cmp -s mirror/model.safetensors enc/model.safetensors'
check "manifest lists every file with its sha256" python3 - <<'PY'
import hashlib, json
m = json.load(open("enc/fetch-manifest.json"))
ok = all(m["files"][f]["sha256"] == hashlib.sha256(open("mirror/" + f, "rb").read()).hexdigest() for f in ["config.json", "vocab.txt", "model.safetensors"])
print(m["repository"], m["revision"], sorted(m["files"]))
raise SystemExit(0 if ok else 1)
PY
check "the installed folder loads as a text encoder" bash -c "\"$cast\" lm embed --model enc \"$F/tokenizer_cases.jsonl\" --max-length 96 --out e.safetensors > embed.out 2>&1"

# One byte changed in the mirror: refused, nothing installed, the bad file named.
cp -r mirror bad && printf 'x' >> bad/vocab.txt
"$cast" data fetch matscibert --mirror bad --sha256-file sums.txt --out enc2 > bad.out 2>&1; rc=$?
check "a mismatching hash: refused" test $rc -ne 0
check "the refusal names the file and both hashes" grep -q "vocab.txt: SHA-256 [0-9a-f]\{64\}, expected [0-9a-f]\{64\}" bad.out
check "nothing installed" test ! -e enc2
check "an existing install is left untouched by a refused fetch" bash -c "\"$cast\" data fetch matscibert --mirror bad --sha256-file sums.txt --out enc > bad2.out 2>&1; test \$? -ne 0 && cmp -s mirror/vocab.txt enc/vocab.txt"
"$cast" data fetch matscibert --mirror /nonexistent --out enc3 > nomirror.out 2>&1
check "a missing mirror is named" grep -q "/nonexistent: not a folder" nomirror.out
mkdir partial && cp "$F/config.json" partial/
"$cast" data fetch matscibert --mirror partial --out enc4 > partial.out 2>&1
check "a mirror without the weights: missing files named, nothing installed" \
  bash -c "grep -q 'missing vocab.txt, model.safetensors or pytorch_model.bin' partial.out && test ! -e enc4"

# pytorch_model.bin (PyTorch's zip-pickle) against the safetensors.
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "skip: Debian's python3-torch is not installed (scripts/setup.sh installs it); pytorch_model.bin not tested"
else
  /usr/bin/python3 "$dir/../scripts/hf_to_pytorch_bin.py" "$F" bin > convert.out 2>&1
  check "converted to pytorch_model.bin (no model.safetensors beside it)" test -s bin/pytorch_model.bin -a ! -e bin/model.safetensors
  "$cast" lm embed --model "$F" "$F/tokenizer_cases.jsonl" --max-length 96 --out st.safetensors > st.out 2>&1
  "$cast" lm embed --model bin "$F/tokenizer_cases.jsonl" --max-length 96 --out bin.safetensors > bin.out 2>&1; rc=$?
  check "cast lm embed reads pytorch_model.bin" test $rc -eq 0
  [ $rc -eq 0 ] || tail -5 bin.out
  check "pytorch_model.bin gives the safetensors' hidden states within 1e-6" /usr/bin/python3 - <<'PY'
import json, struct, torch
def load(p):
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); d = f.read()
    dt = {"F32": torch.float32, "I64": torch.int64}
    return {k: torch.frombuffer(bytearray(d[v["data_offsets"][0]:v["data_offsets"][1]]), dtype=dt[v["dtype"]]).reshape(v["shape"])
            for k, v in h.items() if k != "__metadata__"}
a, b = load("st.safetensors"), load("bin.safetensors")
x, y = a["last_hidden_state"], b["last_hidden_state"]
diff = (x - y).abs().max().item()
print("texts", x.shape[0], "max |diff|", diff, "max |h|", x.abs().max().item())
raise SystemExit(0 if x.shape == y.shape and x.numel() > 0 and diff <= 1e-6 and torch.equal(a["input_ids"], b["input_ids"]) else 1)
PY
  "$cast" data fetch matscibert --from bin --out enc5 > from.out 2>&1
  check "--from a folder with pytorch_model.bin installs it" test -s enc5/pytorch_model.bin -a ! -e enc5/model.safetensors
  head -c 100 bin/pytorch_model.bin > trunc.bin && mkdir tr && cp bin/config.json bin/vocab.txt tr/ && cp trunc.bin tr/pytorch_model.bin
  "$cast" lm embed --model tr "$F/tokenizer_cases.jsonl" --out t.safetensors > tr.out 2>&1; rc=$?
  check "a truncated pytorch_model.bin is an error naming it" test $rc -ne 0 -a -n "$(grep 'tr/pytorch_model.bin' tr.out)"
fi

echo "matscibert_fetch: $fails failed"
[ $fails -eq 0 ]
