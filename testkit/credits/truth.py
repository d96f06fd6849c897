"""Ground truth of a rendered credit roll: every drawn line and when it is entirely on screen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TruthLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str  # what a reader reads: role and names separated by single spaces, no dot leaders or slashes
    role: str | None  # the role this line states (None for a continuation line of names)
    names: list[str]
    kind: str  # "pair" (role and names), "heading" (a role above its list), "names", "connective" (credits no one)
    entry: int  # index of the credit entry it belongs to
    first_s: float  # entirely on screen from ...
    last_s: float  # ... to (inclusive)

    def shifted(self, seconds: float) -> TruthLine:
        return self.model_copy(update={"first_s": round(self.first_s + seconds, 3),
                                       "last_s": round(self.last_s + seconds, 3)})


class CreditRollTruth(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    duration_s: float
    start_s: float  # where the roll starts in the video (after filler)
    width: int
    height: int
    layout: str
    motion: str
    entries: list[tuple[str, list[str]]]
    lines: list[TruthLine]
    origins: dict[str, str] = {}  # name → korean | foreign_hangul | latin | company (when the sampler knew)

    def origin(self, name: str) -> str:
        return self.origins.get(name, "korean")

    def pairs(self) -> set[tuple[str, str]]:
        """Every (role, name) credited, as drawn."""
        return {(role, name) for role, names in self.entries for name in names}

    def entry_span(self, index: int) -> tuple[float, float]:
        """When an entry's lines are on screen: from its first line's first_s to its last line's last_s."""
        lines = [line for line in self.lines if line.entry == index]
        return min(line.first_s for line in lines), max(line.last_s for line in lines)

    def shifted(self, seconds: float, path: str | None = None) -> CreditRollTruth:
        return self.model_copy(update={
            "path": path or self.path,
            "start_s": round(self.start_s + seconds, 3),
            "lines": [line.shifted(seconds) for line in self.lines],
        })
