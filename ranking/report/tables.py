"""Markdown tables for relevance reports."""

from __future__ import annotations

from collections.abc import Sequence


def cell(value: object, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value).replace("|", "\\|")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]], bold_max: Sequence[int] = ()) -> str:
    """A Markdown table; the largest value in each column of ``bold_max`` is bold."""
    best = {}
    for col in bold_max:
        values = [r[col] for r in rows if isinstance(r[col], float)]
        if values:
            best[col] = max(values)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" if i == 0 else "---:"
                                                              for i in range(len(headers))) + "|"]
    for row in rows:
        cells = []
        for col, value in enumerate(row):
            text = cell(value)
            if col in best and isinstance(value, float) and value >= best[col] - 1e-12:
                text = f"**{text}**"
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def p_value(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"
