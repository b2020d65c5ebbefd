"""Build yolox-nano's model.onnx (batch dimension free) from the YOLOX release's ONNX file.

Usage: python yolox_onnx.py OUT RELEASE_ONNX
       python yolox_onnx.py --make-template VERIFIED_MODEL_ONNX TEMPLATE_OUT

What it makes
    OUT: YOLOX-nano (COCO, 80 classes), input `images` [batch, 3, 416, 416], output `output`
    [batch, 3549, 85], as models/yolox-nano/model.onnx expects.

From
    RELEASE_ONNX  yolox_nano.onnx of the YOLOX GitHub release 0.1.1rc0 (Megvii, Apache-2.0),
                  https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx
                  (3,659,407 bytes, sha256
                  c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d).
    templates/yolox-nano.onnx
                  our verified model.onnx with the raw_data field removed from every
                  initializer except the three Reshape shape constants. Our file was made from
                  the release by ../shared/models/tools/yolox_dynamic_batch.py, which only
                  changed those constants ([1, 85, -1] -> [0, 85, -1]: 0 copies the batch
                  dimension), named the input's and output's batch dimension 'batch' and
                  deleted value_info; those edits live in the template. Initializer names and
                  values were not touched, so each cleared initializer is refilled from the
                  release's initializer of the same name (same dtype and shape required).

How it was verified
    The release file cannot be downloaded from the machine this was written on, so the step
    was proven by a round trip: filling the template from our verified model.onnx itself gives
    sha256 82bc036e82e2e9e987a1ddc5b289e615e3042e7fe2889088331653077255a3aa, the exact bytes of
    our file (scripts/models/requirements.txt: onnx 1.23.2, protobuf 7.36.2; the serialised
    bytes depend on those versions). Since the transform left all other initializers alone,
    the release gives the same bytes. OUT is written to OUT.tmp first and renamed only when
    complete.
"""
import os
import sys

import numpy as np
from google.protobuf.message import DecodeError
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from steps import BuildError, load_onnx, run_step, write_atomically, write_template  # noqa: E402

TEMPLATE = os.path.join(HERE, "templates", "yolox-nano.onnx")


def reshape_shapes(model):
    """Names of the initializers used as a Reshape's target shape (the transform's edits)."""
    inits = {i.name for i in model.graph.initializer}
    return {n.input[1] for n in model.graph.node if n.op_type == "Reshape" and n.input[1] in inits}


def check_kept(kept, source):
    """A kept shape constant must be the source's, with batch 1 already freed to 0 or not."""
    ours, theirs = numpy_helper.to_array(kept), numpy_helper.to_array(source)
    if theirs.shape != ours.shape or theirs[0] not in (0, 1) or list(theirs[1:]) != list(ours[1:]):
        raise BuildError(f"{kept.name}: source holds {theirs.tolist()}, expected "
                         f"[1 or 0] + {ours[1:].tolist()}: not the YOLOX-nano release?")


def fill(model, source):
    """Give each initializer without raw_data the bytes of `source`'s initializer of that name."""
    by_name = {i.name: i for i in source.graph.initializer}
    filled = 0
    for init in model.graph.initializer:
        src = by_name.get(init.name)
        if src is None:
            raise BuildError(f"source model has no initializer {init.name!r}")
        if src.data_type != init.data_type or list(src.dims) != list(init.dims):
            raise BuildError(f"{init.name}: source is type {src.data_type}{list(src.dims)}, "
                             f"template wants type {init.data_type}{list(init.dims)}")
        if init.HasField("raw_data"):
            check_kept(init, src)
            continue
        init.raw_data = np.ascontiguousarray(numpy_helper.to_array(src)).tobytes()
        filled += 1
    return filled


def build(out, release):
    model = load_onnx(TEMPLATE)
    filled = fill(model, load_onnx(release))
    write_atomically(out, model.SerializeToString())
    return f"{filled} initializers filled from {os.path.basename(release)}"


def make_template(verified, template):
    """Template = the verified model with raw_data removed from all but the Reshape shapes."""
    write_template(verified, template, keep=reshape_shapes)


if __name__ == "__main__":
    sys.exit(run_step(sys.argv, build,
                      [("RELEASE_ONNX", "yolox_nano.onnx from the YOLOX 0.1.1rc0 GitHub release")],
                      errors=(ValueError, DecodeError), make_template=make_template))
