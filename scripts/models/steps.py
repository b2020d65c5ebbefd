"""What the model build steps in this folder share: reading archive members, atomic writes,
weights-free ONNX templates and the command line.

The steps (whisper_ggml.py, minilm_onnx.py, efficientnet_onnx.py, yolox_onnx.py) import this
module from their own folder, so each runs as `python /any/path/scripts/models/STEP.py ...` from
any working directory. It needs the standard library only; `onnx` is imported by the ONNX
helpers when they are called, so whisper_ggml.py still needs numpy only.
"""
import contextlib
import os
import sys
import tarfile
import zipfile


class BuildError(Exception):
    """An input is missing or is not what this step expects."""


# ---- reading the inputs ---------------------------------------------------------------------

def read_zip_member(path, suffix):
    """Bytes of the one member of zip `path` whose name ends with `suffix`."""
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.endswith(suffix)]
        if len(names) != 1:
            raise BuildError(f"{path}: expected one member ending in {suffix!r}, found {names}")
        return z.read(names[0])


def read_tar_member(path, suffix):
    """Bytes of the one member of tar `path` whose name ends with `suffix`."""
    with tarfile.open(path, "r:*") as t:
        members = [m for m in t.getmembers() if m.isfile() and m.name.endswith(suffix)]
        if len(members) != 1:
            raise BuildError(f"{path}: expected one member ending in {suffix!r}, "
                             f"found {[m.name for m in members]}")
        return t.extractfile(members[0]).read()


# ---- writing the output ---------------------------------------------------------------------

@contextlib.contextmanager
def atomic_file(path):
    """A binary file to write `path` through: written as `path`.tmp and renamed over `path`
    (os.replace) only when the block completes; the .tmp file is removed in every case."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            yield f
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_atomically(path, data):
    with atomic_file(path) as f:
        f.write(data)


# ---- weights-free ONNX templates --------------------------------------------------------------

def load_onnx(path):
    import onnx
    with open(path, "rb") as f:
        return onnx.load_from_string(f.read())


def write_template(verified, template, keep=lambda model: ()):
    """Template = the verified model with the raw_data field removed from every initializer
    except those named by keep(model)."""
    model = load_onnx(verified)
    kept = set(keep(model))
    for init in model.graph.initializer:
        if init.name not in kept:
            init.ClearField("raw_data")
    write_atomically(template, model.SerializeToString())


# ---- the command line -----------------------------------------------------------------------

def run_step(argv, build, inputs, errors=(), make_template=None):
    """The command line of a step: `STEP OUT INPUT...`, and `STEP --make-template VERIFIED
    TEMPLATE_OUT` where the step has `make_template`. Returns the exit status.

    build(out, *inputs) writes OUT and returns the summary printed after "wrote OUT: ".
    inputs: (NAME, what it is) of each input, for the usage text. A failure that is one of
    BuildError, OSError or `errors` is reported on one line with status 1; wrong arguments give
    the usage and status 2. Steps with --make-template also refuse an OUT starting with "-".
    """
    prog = argv[0]
    if make_template and len(argv) == 4 and argv[1] == "--make-template":
        make_template(argv[2], argv[3])
        print(f"wrote {argv[3]}")
        return 0
    if len(argv) != 2 + len(inputs) or (make_template and argv[1].startswith("-")):
        usage = f"usage: {prog} OUT {' '.join(name for name, _ in inputs)}"
        usage += "".join(f"\n  {name}: {what}" for name, what in inputs)
        if make_template:
            usage += f"\n   or:  {prog} --make-template VERIFIED_MODEL_ONNX TEMPLATE_OUT"
        print(usage, file=sys.stderr)
        return 2
    out, paths = argv[1], argv[2:]
    for path in paths:
        if not os.path.isfile(path):
            print(f"error: {path}: no such file", file=sys.stderr)
            return 1
    try:
        summary = build(out, *paths)
    except (BuildError, OSError, *errors) as e:
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out}: {summary}")
    return 0
