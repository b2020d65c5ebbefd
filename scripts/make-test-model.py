#!/usr/bin/env python3
"""Writes sql-tests/models/mean_colour.onnx: a tiny image classifier with known weights, for
testing CREATE MODEL and classify's generic path without a second real model.

scores[n] = 10 * mean over the image of channel n (red, green, blue): the label is the
dominant colour. Graph: pixels [N,3,S,S] -> ReduceMean(axes 2,3) -> MatMul(10 * I) -> scores.
The protobuf is encoded by hand (ONNX IR 8, opset 13), so no onnx package is needed.
"""
import os
import struct


def varint(n):
    out = b""
    n &= (1 << 64) - 1
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def field(number, value):
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(number << 3 | 2) + varint(len(value)) + value


def tensor_type(dims):
    shape = b"".join(field(1, field(2, d) if isinstance(d, str) else field(1, d)) for d in dims)
    return field(1, field(1, 1) + field(2, shape))  # TypeProto.tensor_type, FLOAT


def value_info(name, dims):
    return field(1, name) + field(2, tensor_type(dims))


weights = [10.0 if i == j else 0.0 for i in range(3) for j in range(3)]
initializer = (field(1, 3) + field(1, 3) + field(2, 1) + field(8, "weights")
               + field(9, struct.pack("<9f", *weights)))
reduce_mean = (field(1, "pixels") + field(2, "means") + field(3, "mean") + field(4, "ReduceMean")
               + field(5, field(1, "axes") + field(8, 2) + field(8, 3) + field(20, 7))
               + field(5, field(1, "keepdims") + field(3, 0) + field(20, 2)))
matmul = field(1, "means") + field(1, "weights") + field(2, "scores") + field(3, "score") + field(4, "MatMul")
graph = (field(1, reduce_mean) + field(1, matmul) + field(2, "mean_colour") + field(5, initializer)
         + field(11, value_info("pixels", ["N", 3, "H", "W"]))
         + field(12, value_info("scores", ["N", 3])))
model = field(1, 8) + field(2, "mediasql test") + field(7, graph) + field(8, field(1, "") + field(2, 13))

out = os.path.join(os.path.dirname(__file__), "..", "sql-tests", "models")
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "mean_colour.onnx"), "wb") as f:
    f.write(model)
with open(os.path.join(out, "mean_colour.labels.txt"), "w") as f:
    f.write("red\ngreen\nblue\n")
