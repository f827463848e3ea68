"""The executor abstraction: order, seeding and byte-identical bootstraps on every executor.

The Dask test runs a real ``dask.distributed.LocalCluster`` (2 worker processes, 1 thread
each) and compares the bootstrap with the sequential run byte for byte.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from evaltool.effects import estimate
from evaltool.effects.bootstrap import ClusterBootstrap, _replicates
from evaltool.exceptions import ConfigError
from evaltool.execution import (
    DaskExecutor,
    ExecutorSpec,
    ProcessExecutor,
    SequentialExecutor,
    chunked,
    get_executor,
    replicate_seeds,
)
from test_effects_support import nearest_design, simulate_population


def _affine(x: int, *, a: int, b: int) -> int:
    return a * x + b


@pytest.fixture(scope="module")
def design():
    df = simulate_population(500, np.random.default_rng(21))
    df["earn"] = 1000 + 300 * df["x1"] + 150 * df["treat"] + np.random.default_rng(22).normal(0, 200, len(df))
    return nearest_design(df)


@pytest.fixture(scope="module")
def dask_executor():
    """One LocalCluster for the module: 2 worker processes, 1 thread each (as CI runs it)."""
    with get_executor(ExecutorSpec(workers=2, scheduler="local")) as ex:
        yield ex


def _boot(design, executor, n_boot=40):
    res = estimate(design, ["earn", "y"], variance=ClusterBootstrap(n_boot=n_boot, seed=5, executor=executor))
    return json.dumps(res.to_dict(), sort_keys=True).encode()


def test_dispatch_and_validation():
    assert isinstance(get_executor(None), SequentialExecutor)
    assert isinstance(get_executor(1), SequentialExecutor)
    assert isinstance(get_executor(ExecutorSpec(workers=2)), ProcessExecutor)
    assert get_executor(ExecutorSpec(workers=2)).n_workers == 2
    ex = SequentialExecutor()
    assert get_executor(ex) is ex
    with pytest.raises(ConfigError, match="`workers` must be an integer >= 1 or -1.*got 0"):
        ExecutorSpec(workers=0)
    with pytest.raises(ConfigError, match="`scheduler` must be 'local' or an address.*'dask'"):
        ExecutorSpec(scheduler="dask")
    with pytest.raises(ConfigError, match="`executor` must be"):
        get_executor(2.5)


@pytest.mark.parametrize("spec", [1, 2])
def test_map_keeps_input_order_with_shared_arguments(spec):
    with get_executor(spec) as ex:
        assert ex.map(_affine, list(range(20)), shared={"a": 3, "b": -1}) == [3 * i - 1 for i in range(20)]


def test_replicate_seeds_do_not_depend_on_count_or_chunking():
    a = [np.random.default_rng(s).integers(0, 1 << 30) for s in replicate_seeds(9, 10)]
    b = [np.random.default_rng(s).integers(0, 1 << 30) for s in replicate_seeds(9, 4)]
    assert a[:4] == b and len(set(a)) == 10
    assert chunked(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]


def test_bootstrap_replicates_independent_of_chunk_size(design):
    from evaltool.effects.estimators import Difference

    rng = np.random.default_rng(0)
    n, g = 40, 20
    shared = {"estimator": Difference(), "y": rng.normal(size=n), "treat": np.repeat([1, 0], n // 2),
              "w": np.ones(n), "Z": None, "cl": np.tile(np.arange(g), 2), "g": g}
    seeds = replicate_seeds(3, 12)
    whole = _replicates(seeds, **shared)
    parts = np.concatenate([_replicates(c, **shared) for c in chunked(seeds, 5)])
    assert whole.tobytes() == parts.tobytes() and np.unique(whole).size > 6


def test_bootstrap_identical_sequential_and_processes(design):
    assert _boot(design, 1) == _boot(design, ExecutorSpec(workers=2))


def test_bootstrap_identical_on_dask_local_cluster(design, dask_executor):
    """CI check of the Dask path: LocalCluster(processes=True, 2 workers, 1 thread each)."""
    ex = dask_executor
    assert isinstance(ex, DaskExecutor) and ex.n_workers == 2
    assert ex.map(_affine, [1, 2, 3], shared={"a": 2, "b": 0}) == [2, 4, 6]
    assert _boot(design, ex) == _boot(design, None)


# --- register derivation partitioned by person ------------------------------------------

@pytest.fixture(scope="module")
def register():
    from evaltool.registers import OutcomeSpec
    from evaltool.simulate import simulate_study

    sim = simulate_study(n=1000, seed=4)
    specs = (OutcomeSpec("plc52", "any", ("virksomhedspraktik", "loentilskud"), window=(1, 52)),
             OutcomeSpec("self26", "status_at", ("self_support",), week=26),
             OutcomeSpec("share", "share", ("public_support",), window=(1, 52)),
             OutcomeSpec("tt", "time_to", ("self_support",), horizon=104))
    return sim, specs


def _same(a, b):
    import pandas as pd

    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    keep = [k for k in a.report if k != "partitions"]
    assert {k: a.report[k] for k in keep} == {k: b.report[k] for k in keep}


def test_partitioned_derivation_equals_whole(register, tmp_path):
    from evaltool.registers import derive_outcomes
    from evaltool.registers.partitioned import derive_outcomes_partitioned, hash_partition, write_partitioned_panel

    sim, specs = register
    whole = derive_outcomes(sim.persons, sim.weekly_status, sim.code_map, specs, engine="duckdb")
    in_memory = derive_outcomes_partitioned(sim.persons, sim.weekly_status, sim.code_map, specs,
                                            partitions=3, engine="duckdb")
    _same(in_memory, whole)
    files = write_partitioned_panel(sim.weekly_status, tmp_path, 3, batch_rows=50_000)
    assert len(files) == 3
    on_files = derive_outcomes_partitioned(sim.persons, files, sim.code_map, specs, partitions=3)
    _same(on_files, whole)
    part = hash_partition(sim.persons["person_id"], 3)
    assert np.bincount(part).min() > 200 and part.tolist() == hash_partition(sim.persons["person_id"].to_numpy(), 3).tolist()  # every partition holds persons


def test_partitioned_derivation_on_dask_local_cluster(register, tmp_path, dask_executor):
    from evaltool.registers import derive_outcomes
    from evaltool.registers.partitioned import derive_outcomes_partitioned, write_partitioned_panel

    sim, specs = register
    whole = derive_outcomes(sim.persons, sim.weekly_status, sim.code_map, specs, engine="duckdb")
    files = write_partitioned_panel(sim.weekly_status, tmp_path, 2)
    res = derive_outcomes_partitioned(sim.persons, files, sim.code_map, specs, partitions=2,
                                      executor=dask_executor)
    _same(res, whole)
