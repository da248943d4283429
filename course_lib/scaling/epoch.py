"""Reading the Chinchilla data extracted by Besiroglu et al. (2024) (Epoch AI's replication).

Their CSV has one row per training run with (at least) the columns ``Model Size`` (parameters),
``Training FLOP`` and ``loss``. The course never downloads it: put a copy at
:func:`epoch_csv_path` (``$COURSE_CACHE/scaling/chinchilla_epoch.csv``, or ``$COURSE_EPOCH_CSV``)
and lecture 06 refits it; without it the lecture uses the published constants.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from course_lib.scaling.laws import check_positive
from course_lib.tools.paths import cache_dir

__all__ = ["EPOCH_COLUMNS", "ChinchillaRuns", "read_epoch_csv", "epoch_csv_path"]

EPOCH_COLUMNS = ("Model Size", "Training FLOP", "loss")


@dataclass(frozen=True)
class ChinchillaRuns:
    """Runs as arrays of shape ``(n,)``: parameters ``N``, FLOPs ``C``, ``loss``; ``D = C / (6 N)``."""

    N: npt.NDArray[np.float64]
    C: npt.NDArray[np.float64]
    loss: npt.NDArray[np.float64]

    @property
    def D(self) -> npt.NDArray[np.float64]:
        return self.C / (6.0 * self.N)

    def __len__(self) -> int:
        return len(self.N)


def epoch_csv_path() -> Path:
    """Where lecture 06 looks for the replication's CSV: ``$COURSE_EPOCH_CSV`` if set, else
    ``cache_dir()/scaling/chinchilla_epoch.csv``."""
    env = os.environ.get("COURSE_EPOCH_CSV")
    return Path(env) if env else cache_dir() / "scaling" / "chinchilla_epoch.csv"


def read_epoch_csv(path: str | Path) -> ChinchillaRuns:
    """The runs in a CSV in the replication's format; other columns are ignored.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file and line for
    a missing column, an empty file, or a value that is not a positive finite number.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no CSV at {path}")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in EPOCH_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}; found {header}")
        rows: list[tuple[float, float, float]] = []
        for line, row in enumerate(reader, start=2):
            row = {k.strip(): v for k, v in row.items() if k is not None}
            try:
                rows.append(tuple(float(row[c]) for c in EPOCH_COLUMNS))  # type: ignore[arg-type]
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{path}, line {line}: not a number in {[row.get(c) for c in EPOCH_COLUMNS]}") from exc
    if not rows:
        raise ValueError(f"{path}: no data rows")
    arr = np.array(rows)
    try:
        return ChinchillaRuns(*(check_positive(name, arr[:, k]) for k, name in enumerate(EPOCH_COLUMNS)))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc} (row index counts data rows from 0)") from exc
