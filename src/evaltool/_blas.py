"""Threads: BLAS thread limits, one mechanism for the whole package (threadpoolctl), and
:func:`in_threads`, a small fixed-slot runner for numpy / pyarrow work that releases the GIL.

Two callers: the logit's Newton steps (:mod:`evaltool.design._logit`, one thread by default, for speed
on shared cores) and effect estimation (:mod:`evaltool.effects`, always one thread, because the last
digits of a matrix product depend on the number of BLAS threads and results must not depend on the
executor). numpy and scipy each load their own OpenBLAS, so the controller is rebuilt whenever a module
was imported since it was built (a new BLAS library can only arrive with an import); otherwise it is
reused, since building one costs about a millisecond and the sandwich runs hundreds of times per study.

:func:`in_threads` runs the logit's row blocks and the design matrix's columns and string encodings
(:mod:`evaltool.design._logit`, :mod:`evaltool.terms`) in :data:`WORK_THREADS` threads; their results
are the same bits for any number of threads.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

__all__ = ["limit_blas", "in_threads", "WORK_THREADS"]


def _work_threads() -> int:
    """Threads for :func:`in_threads` callers: ``EVALTOOL_THREADS`` if set, else two (more
    rarely pays for memory-bound numpy work) capped by the cores and by ``OMP_NUM_THREADS``,
    which joblib and dask set in their worker processes (so workers do not oversubscribe)."""
    own = os.environ.get("EVALTOOL_THREADS", "").strip()
    if own.isdigit() and int(own) > 0:
        return int(own)
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    cap = int(omp) if omp.isdigit() and int(omp) > 0 else 2
    return max(1, min(2, cap, os.cpu_count() or 1))


#: threads for :func:`in_threads` callers (see :func:`_work_threads`); results never depend on it
WORK_THREADS = _work_threads()

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


def in_threads(jobs: Sequence[Callable[[int], Any]], n_threads: int) -> list:
    """``[job(slot) for job in jobs]``, the jobs shared among ``n_threads`` threads.

    Thread ``slot`` (0 is the calling thread) runs jobs ``slot, slot + n_threads, ...`` in
    order, so a job can own per-slot scratch buffers; the results come back in job order and
    the first exception is raised in the caller. Worth it only for jobs that release the GIL
    (numpy ufuncs and BLAS, pyarrow kernels); the results never depend on ``n_threads`` when
    every job computes the same thing in any thread.
    """
    n_threads = max(1, min(n_threads, len(jobs)))
    if n_threads == 1:
        return [job(0) for job in jobs]
    import threading

    out: list = [None] * len(jobs)
    failed: list[BaseException] = []

    def run(slot: int) -> None:
        try:
            for k in range(slot, len(jobs), n_threads):
                out[k] = jobs[k](slot)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failed.append(exc)

    threads = [threading.Thread(target=run, args=(slot,), daemon=True) for slot in range(1, n_threads)]
    for t in threads:
        t.start()
    run(0)
    for t in threads:
        t.join()
    if failed:
        raise failed[0]
    return out
