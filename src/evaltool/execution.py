"""One executor for replicate work: sequential, local processes or a Dask cluster.

Replicate-parallel work (bootstrap, Monte Carlo, permutation inference, specification
curves) is written once as ``executor.map(fn, items, shared=...)``; whichever executor
runs it, results come back in input order. Randomness never depends on the executor:
each replicate gets its own child of one :class:`numpy.random.SeedSequence`
(:func:`replicate_seeds`), so a replicate draws the same numbers wherever it runs and
the output is byte-identical to the sequential run.

=========================  ==============================================================
spec                       executor
=========================  ==============================================================
``None``, ``1``            :class:`SequentialExecutor` (in this process)
``N > 1``, ``-1``          :class:`ProcessExecutor` (joblib/loky, ``N`` processes; -1 = all)
``"tcp://host:8786"``      :class:`DaskExecutor` on a running ``dask.distributed`` scheduler
``"local"``                :class:`DaskExecutor` on a new ``LocalCluster`` (``workers`` processes)
``distributed.Client``     :class:`DaskExecutor` on that client (not closed by evaltool)
=========================  ==============================================================

Examples
--------
>>> with get_executor(ExecutorSpec(workers=1)) as ex:
...     ex.map(pow, [1, 2, 3], shared={"exp": 2})
[1, 4, 9]
>>> [int(np.random.default_rng(s).integers(10)) for s in replicate_seeds(7, 3)]
[3, 6, 3]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaltool.exceptions import ConfigError

__all__ = ["ExecutorSpec", "Executor", "SequentialExecutor", "ProcessExecutor", "DaskExecutor",
           "get_executor", "executor_scope", "replicate_seeds", "chunked"]


MAX_WORKERS = 256  # worker processes of one executor (a config's `execution.workers`, `estimate(n_jobs=...)`)


def _import(modules: tuple[str, ...]) -> None:
    import importlib

    for m in modules:
        importlib.import_module(m)


def replicate_seeds(seed: int | np.random.SeedSequence | None, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seeds of one ``SeedSequence`` (one per replicate).

    Replicate ``i`` always gets child ``i``, however the replicates are split into tasks.
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(n)


def chunked(items: list[Any], size: int) -> list[list[Any]]:
    """``items`` cut into consecutive chunks of at most ``size`` (the last may be shorter)."""
    size = max(1, int(size))
    return [items[i:i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class ExecutorSpec:
    """Where replicate work runs.

    Parameters
    ----------
    workers : int, default 1
        1 = sequential; N > 1 local processes (or LocalCluster workers with
        ``scheduler="local"``); -1 = one per core.
    scheduler : str, optional
        ``"local"`` for a new Dask ``LocalCluster`` or a scheduler address
        (``"tcp://host:8786"``) of a running cluster (dask-jobqueue, SSH, Kubernetes).
    threads_per_worker : int, default 1
        Threads per Dask worker of a ``LocalCluster`` (1 keeps NumPy work per process).
    """

    workers: int = 1
    scheduler: str | None = None
    threads_per_worker: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or \
                not (self.workers >= 1 or self.workers == -1):
            raise ConfigError(f"`workers` must be an integer >= 1 or -1 (all cores); got {self.workers!r}",
                              key="workers")
        if self.workers > MAX_WORKERS:
            raise ConfigError(f"`workers` must be an integer <= {MAX_WORKERS}; got {self.workers}", key="workers")
        if self.scheduler is not None and not (
                self.scheduler == "local" or "://" in str(self.scheduler)):
            raise ConfigError(f"`scheduler` must be 'local' or an address like 'tcp://host:8786'; "
                              f"got {self.scheduler!r}", key="scheduler")
        if isinstance(self.threads_per_worker, bool) or not isinstance(self.threads_per_worker, int) \
                or self.threads_per_worker < 1:
            raise ConfigError(f"`threads_per_worker` must be an integer >= 1; got {self.threads_per_worker!r}",
                              key="threads_per_worker")


class Executor(ABC):
    """Runs ``fn(item, **shared)`` for every item; results in input order."""

    kind: str = "executor"

    @property
    @abstractmethod
    def n_workers(self) -> int:
        """Number of parallel workers (1 for sequential)."""

    @abstractmethod
    def imap(self, fn: Callable[..., Any], items: Iterable[Any],
             shared: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Results of ``fn(item, **shared)`` one by one, in input order."""

    def map(self, fn: Callable[..., Any], items: Iterable[Any],
            shared: Mapping[str, Any] | None = None) -> list[Any]:
        """Results of ``fn(item, **shared)`` as a list in input order.

        ``shared`` holds arguments common to every call (data arrays); a Dask executor
        sends them to the workers once instead of with every task.
        """
        return list(self.imap(fn, items, shared))

    def warm(self, modules: Iterable[str] = ()) -> None:
        """Start the workers now and import ``modules`` in them, without waiting (a no-op when there
        are no worker processes), so the first real tasks do not wait for interpreters to start."""

    def close(self) -> None:
        """Release workers this executor started (a no-op otherwise)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(workers={self.n_workers})"


class SequentialExecutor(Executor):
    """Everything in this process, lazily, one item after the other."""

    kind = "sequential"

    @property
    def n_workers(self) -> int:
        return 1

    def imap(self, fn, items, shared=None):
        kw = dict(shared or {})
        return (fn(item, **kw) for item in items)


class ProcessExecutor(Executor):
    """Local worker processes through joblib's loky backend (large arrays are memory-mapped)."""

    kind = "processes"

    def __init__(self, workers: int) -> None:
        import os

        self._workers = (os.cpu_count() or 1) if workers == -1 else int(workers)
        self._warming: Any = None

    @property
    def n_workers(self) -> int:
        return self._workers

    def warm(self, modules: Iterable[str] = ()) -> None:
        import threading

        if self._warming is None:  # joblib's pool is reused by later calls with the same n_jobs
            self._warming = threading.Thread(target=self._start, args=(tuple(modules),), daemon=True)
            self._warming.start()

    def _start(self, modules: tuple[str, ...]) -> None:
        from joblib import Parallel, delayed

        try:
            Parallel(n_jobs=self._workers)(delayed(_import)(modules) for _ in range(self._workers))
        except Exception:  # noqa: BLE001 - only a head start: the real tasks report any failure
            pass

    def imap(self, fn, items, shared=None):
        from joblib import Parallel, delayed

        if self._warming is not None:  # never two calls into the pool at once
            self._warming.join()
        kw = dict(shared or {})
        return iter(Parallel(n_jobs=self._workers, return_as="generator")(
            delayed(fn)(item, **kw) for item in items))


class DaskExecutor(Executor):
    """Tasks on a ``dask.distributed`` cluster; shared arguments are scattered once.

    Parameters
    ----------
    client : distributed.Client
        A connected client.
    owned : tuple, default ()
        Objects (client, cluster) this executor created and closes on :meth:`close`.
    """

    kind = "dask"

    def __init__(self, client: Any, owned: tuple[Any, ...] = ()) -> None:
        self.client = client
        self._owned = owned

    @property
    def n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def imap(self, fn, items, shared=None):
        items = list(items)
        kw = {k: self.client.scatter(v, broadcast=True, hash=False) for k, v in (shared or {}).items()}
        futures = self.client.map(fn, items, pure=False, **kw)  # submitted now: the workers start at once
        return self._results(futures)

    def _results(self, futures: list[Any]) -> Iterator[Any]:
        try:
            for fut in futures:
                yield fut.result()
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        for obj in self._owned:
            obj.close()
        self._owned = ()


def get_executor(spec: ExecutorSpec | Executor | int | str | Any | None = None) -> Executor:
    """The executor for a spec (see the module table).

    Parameters
    ----------
    spec : ExecutorSpec, Executor, int, str, distributed.Client or None
        An int is ``ExecutorSpec(workers=spec)``; a string is a scheduler (``"local"`` or an
        address); an executor is returned unchanged.

    Returns
    -------
    Executor
        Use it as a context manager so a cluster it started is shut down.
    """
    if isinstance(spec, Executor):
        return spec
    if spec is None:
        spec = ExecutorSpec()
    elif isinstance(spec, int) and not isinstance(spec, bool):
        spec = ExecutorSpec(workers=spec)
    elif isinstance(spec, str):
        spec = ExecutorSpec(scheduler=spec)
    elif type(spec).__name__ == "Client" and hasattr(spec, "scheduler_info"):
        return DaskExecutor(spec)
    if not isinstance(spec, ExecutorSpec):
        raise ConfigError(f"`executor` must be an ExecutorSpec, worker count, scheduler address or "
                          f"dask Client; got {type(spec).__name__}")
    if spec.scheduler is None:
        return SequentialExecutor() if spec.workers == 1 else ProcessExecutor(spec.workers)
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigError("`scheduler` needs dask.distributed; install evaltool[dask]") from exc
    if spec.scheduler == "local":
        import os

        n = (os.cpu_count() or 1) if spec.workers == -1 else spec.workers
        cluster = LocalCluster(n_workers=n, threads_per_worker=spec.threads_per_worker,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
        return DaskExecutor(client, owned=(client, cluster))
    client = Client(spec.scheduler)
    return DaskExecutor(client, owned=(client,))


@contextmanager
def executor_scope(spec: ExecutorSpec | Executor | int | str | Any | None = None) -> Iterator[Executor]:
    """:func:`get_executor` as a context: closes what it created, never an executor it was given."""
    ex = get_executor(spec)
    try:
        yield ex
    finally:
        if ex is not spec:
            ex.close()
