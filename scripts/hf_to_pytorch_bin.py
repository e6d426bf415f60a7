#!/usr/bin/env python3
"""Convert a Hugging Face checkpoint directory's model.safetensors to pytorch_model.bin.

  hf_to_pytorch_bin.py SRC_DIR OUT_DIR

OUT_DIR gets pytorch_model.bin (torch.save of the state dict, PyTorch's zip-pickle format, what
many BERT checkpoints on the hub ship instead of safetensors) and copies of the other files of
SRC_DIR except model.safetensors. A test-fixture tool (tests/pytorch_bin_test.sh): it needs
PyTorch in Python (Debian's python3-torch, installed by scripts/setup.sh); the safetensors file is
read here directly (its format is a u64 header size, a JSON header, raw little-endian data), so
the safetensors Python package is not needed.
"""
import json
import os
import shutil
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
          "BOOL": torch.bool}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        buf = bytearray(data[a:b])
        dt = DTYPES[t["dtype"]]
        x = torch.frombuffer(buf, dtype=dt) if b > a else torch.empty(0, dtype=dt)
        out[name] = x.reshape(t["shape"]).clone()
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    state = read_safetensors(os.path.join(src, "model.safetensors"))
    torch.save(state, os.path.join(out, "pytorch_model.bin"))
    for f in os.listdir(src):
        if f != "model.safetensors" and os.path.isfile(os.path.join(src, f)):
            shutil.copy(os.path.join(src, f), out)
    print(f"{out}/pytorch_model.bin: {len(state)} tensors (torch {torch.__version__})")


if __name__ == "__main__":
    main()
