"""Tiny ONNX graphs with the input/output layout of insightface's buffalo_l models, so the real
``FaceAnalysis`` → SCRFD / ArcFaceONNX loading and inference path runs without the (unavailable) weights.

The detector answers to brightness: a stride-16 cell whose mean colour is near white scores high; boxes and
the five keypoints are fixed offsets from the cell centre (so they decode exactly as SCRFD's do). The
recogniser is a fixed random projection of a 7x7 colour grid: identical crops embed identically, different
crops differently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

STRIDES = (8, 16, 32)
ANCHORS = 2
BOX_HALF = 3.0  # box half-side, in stride units
# keypoints (x, y) relative to the cell centre in stride units: left eye, right eye, nose, mouth corners
KEYPOINTS = [(-0.6, -0.5), (0.6, -0.5), (0.0, 0.1), (-0.45, 0.7), (0.45, 0.7)]


def _const(name: str, array: np.ndarray) -> TensorProto:
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def build_detector(path: Path) -> Path:
    nodes, inits, outputs = [], [], {"score": [], "bbox": [], "kps": []}
    for stride in STRIDES:
        pooled = f"pool{stride}"
        nodes.append(helper.make_node("AveragePool", ["input.1"], [pooled], kernel_shape=[stride, stride],
                                      strides=[stride, stride], name=f"avgpool{stride}"))
        react = stride == 16  # only one scale fires, so one face gives one box after NMS
        weights = {
            "score": (np.full((ANCHORS, 3, 1, 1), 40.0 if react else 0.0),
                      np.full(ANCHORS, -110.0 if react else -20.0)),  # input is (x-127.5)/128: white ≈ 1
            "bbox": (np.zeros((ANCHORS * 4, 3, 1, 1)), np.full(ANCHORS * 4, BOX_HALF)),
            "kps": (np.zeros((ANCHORS * 10, 3, 1, 1)), np.tile(np.array(KEYPOINTS).ravel(), ANCHORS)),
        }
        for kind, (w, b) in weights.items():
            width = {"score": 1, "bbox": 4, "kps": 10}[kind]
            inits += [_const(f"{kind}{stride}_w", w), _const(f"{kind}{stride}_b", b)]
            conv, out = f"{kind}{stride}_conv", f"{kind}_{stride}"
            nodes.append(helper.make_node("Conv", [pooled, f"{kind}{stride}_w", f"{kind}{stride}_b"], [conv],
                                          name=f"conv_{kind}{stride}"))
            last = conv
            if kind == "score":
                nodes.append(helper.make_node("Sigmoid", [conv], [f"{conv}_sig"], name=f"sigmoid{stride}"))
                last = f"{conv}_sig"
            nodes.append(helper.make_node("Transpose", [last], [f"{conv}_t"], perm=[0, 2, 3, 1],
                                          name=f"transpose_{kind}{stride}"))
            inits.append(numpy_helper.from_array(np.array([-1, width], np.int64), f"{kind}{stride}_shape"))
            nodes.append(helper.make_node("Reshape", [f"{conv}_t", f"{kind}{stride}_shape"], [out],
                                          name=f"reshape_{kind}{stride}"))
            outputs[kind].append(helper.make_tensor_value_info(out, TensorProto.FLOAT, ["n", width]))
    graph = helper.make_graph(
        nodes, "tiny_scrfd",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "height", "width"])],
        outputs["score"] + outputs["bbox"] + outputs["kps"], inits)
    return _save(graph, path)


def build_recogniser(path: Path, dims: int = 512, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    projection = rng.normal(0, 1, (3 * 7 * 7, dims)).astype(np.float32)
    nodes = [
        helper.make_node("AveragePool", ["input.1"], ["grid"], kernel_shape=[16, 16], strides=[16, 16],
                         name="grid_pool"),
        helper.make_node("Flatten", ["grid"], ["flat"], axis=1, name="flatten"),
        helper.make_node("MatMul", ["flat", "projection"], ["683"], name="projection_matmul"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_arcface",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["None", 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, ["None", dims])],
        [_const("projection", projection)])
    return _save(graph, path)


def _save(graph, path: Path) -> Path:
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="vidsearch-tests"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def build_pack(root: Path, name: str = "buffalo_l") -> Path:
    """``<root>/models/<name>/`` with a detector and a recogniser named as in buffalo_l."""
    folder = root / "models" / name
    build_detector(folder / "det_10g.onnx")
    build_recogniser(folder / "w600k_r50.onnx")
    return folder
