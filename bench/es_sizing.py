"""Elasticsearch storage per million segments, from Elasticsearch's documented vector overheads.

Sources (Elasticsearch reference, "Tune approximate kNN search" → "Ensure data nodes have enough memory"):
- off-heap memory for fast kNN: float ``4·d`` bytes per vector, int8 ``d + 4``, int4 ``d/2 + 4``,
  bbq ``d/8 + 14``; the HNSW graph adds ``4·m`` (m = 16 by default → 64 bytes);
- quantized types keep the raw float vectors on disk too ("Elasticsearch storing both the quantized and the
  unquantized vectors"), so disk = raw ``4·d`` + quantized + graph.
``_source`` is measured from our own documents (DEFLATE level 6 as a stand-in for ``best_compression``);
Elasticsearch 9.2+ leaves vectors out of ``_source`` for new indices (``index.mapping.exclude_source_vectors``),
older versions also store each vector there as JSON text. Inverted-index and doc-values sizes for the text and
keyword fields are not estimated here (they depend on the text; measure on a sample with ``_disk_usage``).
Replicas multiply everything.

    python bench/es_sizing.py   # prints the table with the source sizes of the sample segment
"""

from __future__ import annotations

M = 16  # HNSW graph degree (ES default)
GRAPH = 4 * M
LAYOUTS = {"text 384-d": (384,), "text 512-d": (512,), "text 384-d + clip 512-d": (384, 512)}
QUANTIZED = {"hnsw": lambda d: 0, "int8_hnsw": lambda d: d + 4, "bbq_hnsw": lambda d: d / 8 + 14}
KNN_RAM = {"hnsw": lambda d: 4 * d, "int8_hnsw": lambda d: d + 4, "bbq_hnsw": lambda d: d / 8 + 14}


def vector_disk_bytes(dims: int, index_type: str) -> float:
    return 4 * dims + QUANTIZED[index_type](dims) + GRAPH


def knn_ram_bytes(dims: int, index_type: str) -> float:
    return KNN_RAM[index_type](dims) + GRAPH


def sizing_table(encoding: list[dict] | None = None, segments: int = 1_000_000) -> list[dict]:
    """Rows of (layout, index type) with disk and kNN RAM in GB for ``segments`` segments, one copy."""
    source = 1200.0  # compressed _source without vectors, bytes (measured value replaces it when given)
    vector_json = {384: 2100.0, 512: 2800.0}
    for row in encoding or []:
        source = row["source_without_vector_deflate_bytes"]
        vector_json[row["dims"]] = row["source_deflate_bytes"] - row["source_without_vector_deflate_bytes"]
    rows = []
    for layout, dims in LAYOUTS.items():
        for index_type in QUANTIZED:
            vectors = sum(vector_disk_bytes(d, index_type) for d in dims)
            ram = sum(knn_ram_bytes(d, index_type) for d in dims)
            old_source = sum(vector_json.get(d, 5.5 * d) for d in dims)
            rows.append({
                "layout": layout, "index_type": index_type,
                "vector_disk_gb": round(vectors * segments / 1e9, 2),
                "source_gb": round(source * segments / 1e9, 2),
                "disk_gb": round((vectors + source) * segments / 1e9, 2),
                "disk_before_9_2_gb": round((vectors + source + old_source) * segments / 1e9, 2),
                "knn_ram_gb": round(ram * segments / 1e9, 2),
            })
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| layout | index_options | vectors on disk | + _source (no vectors) | disk total (9.2+) | "
             "disk total (≤9.1, vectors in _source) | RAM for fast kNN |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['layout']} | {r['index_type']} | {r['vector_disk_gb']} GB | {r['source_gb']} GB | "
                     f"{r['disk_gb']} GB | {r['disk_before_9_2_gb']} GB | {r['knn_ram_gb']} GB |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.es_bulk import encoding

    print(markdown(sizing_table([encoding(384, 200), encoding(512, 200)])))
