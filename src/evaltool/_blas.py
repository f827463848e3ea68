"""BLAS thread limits, one mechanism for the whole package (threadpoolctl).

Two callers: the logit's Newton steps (:mod:`evaltool.design._logit`, one thread by default, for speed
on shared cores) and effect estimation (:mod:`evaltool.effects`, always one thread, because the last
digits of a matrix product depend on the number of BLAS threads and results must not depend on the
executor). numpy and scipy each load their own OpenBLAS, so the controller is rebuilt whenever a module
was imported since it was built (a new BLAS library can only arrive with an import); otherwise it is
reused, since building one costs about a millisecond and the sandwich runs hundreds of times per study.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from typing import Any

__all__ = ["limit_blas"]

_CONTROLLER: list[tuple[int, Any]] = []  # (len(sys.modules) when built, ThreadpoolController)


def limit_blas(threads: int | None) -> Any:
    """Context manager: BLAS libraries on ``threads`` threads inside the block (None: unchanged)."""
    if threads is None:
        return nullcontext()
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a declared dependency
        return nullcontext()
    n_modules = len(sys.modules)
    if not _CONTROLLER or _CONTROLLER[0][0] != n_modules:
        _CONTROLLER[:] = [(len(sys.modules), ThreadpoolController())]
    return _CONTROLLER[0][1].limit(limits=threads, user_api="blas")
