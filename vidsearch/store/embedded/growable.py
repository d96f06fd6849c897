"""A numpy array that grows by doubling, for per-document columns that gain rows as documents arrive."""

from __future__ import annotations

import numpy as np


class Growable:
    def __init__(self, dtype, tail: tuple[int, ...] = (), fill=0, data: np.ndarray | None = None) -> None:
        self.dtype = np.dtype(dtype)
        self.tail = tail
        self.fill = fill
        if data is not None:
            self._data = np.array(data, dtype=self.dtype, copy=True)
            self._size = len(data)
        else:
            self._data = np.full((16, *tail), fill, dtype=self.dtype)
            self._size = 0

    def __len__(self) -> int:
        return self._size

    def _reserve(self, size: int) -> None:
        if size > len(self._data):
            capacity = max(size, 2 * len(self._data))
            grown = np.full((capacity, *self.tail), self.fill, dtype=self.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown  # readers holding the old array keep a consistent copy

    def set(self, index: int, value) -> None:
        self._reserve(index + 1)
        self._data[index] = value
        self._size = max(self._size, index + 1)

    def extend(self, values: np.ndarray) -> None:
        start = self._size
        self._reserve(start + len(values))
        self._data[start:start + len(values)] = values
        self._size = start + len(values)

    def view(self) -> np.ndarray:
        return self._data[: self._size]

    def padded(self, size: int) -> np.ndarray:
        """The first ``size`` rows, fill beyond what was set (columns that started later than others)."""
        self._reserve(size)
        return self._data[:size]
