"""A tiny frozen TensorFlow graph with EAST's input and output layout, written as raw protobuf.

No TensorFlow (or its weights) can be installed here, so this builds the GraphDef bytes by hand: a placeholder
``input_images`` (NHWC float), a stride-4 convolution + sigmoid named ``feature_fusion/Conv_7/Sigmoid`` (the
score map) and the 5-channel ``feature_fusion/concat_3`` (4 distances scaled by 512, and an angle), exactly the
two tensors OpenCV's EAST sample reads. The score filter averages brightness, so light text on a dark picture
scores high; every box is ``half_size`` pixels from its cell on each side, at angle 0.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

DT_FLOAT, DT_INT32 = 1, 3


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, wire: int, payload: bytes) -> bytes:
    return _varint(number << 3 | wire) + payload


def _bytes(number: int, data: bytes | str) -> bytes:
    data = data.encode() if isinstance(data, str) else data
    return _field(number, 2, _varint(len(data)) + data)


def _int(number: int, value: int) -> bytes:
    return _field(number, 0, _varint(value))


def _shape(dims: list[int]) -> bytes:
    return b"".join(_bytes(2, _int(1, d)) for d in dims)


def _tensor(array: np.ndarray) -> bytes:
    if array.dtype == np.int32:  # OpenCV's importer reads int32 constants from int_val (packed), not tensor_content
        packed = b"".join(_varint(int(v)) for v in array.ravel())
        return _int(1, DT_INT32) + _bytes(2, _shape(list(array.shape))) + _bytes(7, packed)
    array = array.astype(np.float32)
    return _int(1, DT_FLOAT) + _bytes(2, _shape(list(array.shape))) + _bytes(4, array.tobytes())


def _attr(key: str, value: bytes) -> bytes:
    return _bytes(5, _bytes(1, key) + _bytes(2, value))


def _type_attr(key: str, dtype: int = DT_FLOAT) -> bytes:
    return _attr(key, _int(6, dtype))


def _node(name: str, op: str, inputs: list[str], attrs: bytes = b"") -> bytes:
    return _bytes(1, _bytes(1, name) + _bytes(2, op) + b"".join(_bytes(3, i) for i in inputs) + attrs)


def _const(name: str, array: np.ndarray) -> bytes:
    dtype = DT_INT32 if array.dtype == np.int32 else DT_FLOAT
    return _node(name, "Const", [], _type_attr("dtype", dtype) + _attr("value", _bytes(8, _tensor(array))))


def _conv(name: str, source: str, kernel: str) -> bytes:
    strides = _bytes(1, _bytes(3, b"".join(_varint(s) for s in (1, 4, 4, 1))))
    attrs = (_type_attr("T") + _attr("strides", strides) + _attr("padding", _bytes(2, "SAME"))
             + _attr("data_format", _bytes(2, "NHWC")))
    return _node(name, "Conv2D", [source, kernel], attrs)


def _binary(name: str, op: str, a: str, b: str) -> bytes:
    return _node(name, op, [a, b], _type_attr("T"))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def build_east_like_graph(path: Path, half_size: float = 8.0, gain: float = 0.05) -> Path:
    """Write the graph to ``path`` (a .pb) and return it."""
    score_kernel = np.full((4, 4, 3, 1), gain / 48.0, np.float32)
    geo_kernel = np.zeros((4, 4, 3, 4), np.float32)
    angle_kernel = np.zeros((4, 4, 3, 1), np.float32)
    nodes = [
        _node("input_images", "Placeholder", [], _type_attr("dtype") + _attr("shape", _bytes(7, _shape([-1, -1, -1, 3])))),
        _const("score_w", score_kernel),
        _conv("score_conv", "input_images", "score_w"),
        _const("score_b", np.array([0.0], np.float32)),
        _binary("score_bias", "BiasAdd", "score_conv", "score_b"),
        _node("feature_fusion/Conv_7/Sigmoid", "Sigmoid", ["score_bias"], _type_attr("T")),
        _const("geo_w", geo_kernel),
        _conv("geo_conv", "input_images", "geo_w"),
        _const("geo_b", np.full(4, _logit(half_size / 512.0), np.float32)),
        _binary("geo_bias", "BiasAdd", "geo_conv", "geo_b"),
        _node("geo_sigmoid", "Sigmoid", ["geo_bias"], _type_attr("T")),
        _const("geo_scale", np.array(512.0, np.float32)),
        _binary("feature_fusion/mul_6", "Mul", "geo_sigmoid", "geo_scale"),
        _const("angle_w", angle_kernel),
        _conv("angle_conv", "input_images", "angle_w"),
        _const("angle_b", np.array([0.0], np.float32)),
        _binary("angle_bias", "BiasAdd", "angle_conv", "angle_b"),
        _node("angle_sigmoid", "Sigmoid", ["angle_bias"], _type_attr("T")),
        _const("half", np.array(0.5, np.float32)),
        _binary("angle_centered", "Sub", "angle_sigmoid", "half"),
        _const("quarter_turn", np.array(math.pi / 2, np.float32)),
        _binary("feature_fusion/mul_7", "Mul", "angle_centered", "quarter_turn"),
        _const("concat_axis", np.array(3, np.int32)),
        _node("feature_fusion/concat_3", "ConcatV2", ["feature_fusion/mul_6", "feature_fusion/mul_7", "concat_axis"],
              _type_attr("T") + _type_attr("Tidx", DT_INT32) + _attr("N", _int(3, 2))),
    ]
    path.write_bytes(b"".join(nodes))
    return path

