"""The process stage's results blocks, gathered: ``mapping``, ``journeys``, ``case_duration``,
``process``, ``cost`` (each optional), as they go into ``results.json``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from evaltool._result import ResultMixin

__all__ = ["ProcessStageResult", "BLOCKS"]

BLOCKS = ("mapping", "journeys", "case_duration", "process", "cost")


@dataclass(frozen=True)
class ProcessStageResult(ResultMixin):
    """Optional results of the process analyses; ``to_dict()`` holds the blocks that were run.

    Examples
    --------
    >>> ProcessStageResult().to_dict()
    {}
    """

    mapping: Any = None
    journeys: Any = None
    case_duration: Any = None
    process: Any = None
    cost: Any = None

    _title = "Process analyses"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"block": [b for b in BLOCKS if getattr(self, b) is not None]})

    def to_dict(self) -> dict[str, Any]:
        """``{block: block.to_dict()}`` for each block that was run, in :data:`BLOCKS` order.

        ``process`` is the list of effect rows (each with ``ci_low``/``ci_high``)."""
        out: dict[str, Any] = {}
        for b in BLOCKS:
            r = getattr(self, b)
            if r is None:
                continue
            out[b] = r.to_dict()["effects"] if b == "process" else r.to_dict()
        return out

    def __repr__(self) -> str:
        return f"ProcessStageResult(blocks={[b for b in BLOCKS if getattr(self, b) is not None]})"
