"""Seeded synthetic outreach evaluations with known true effects.

``simulate_study`` returns persons, a DREAM-style weekly status panel, an area panel and the
truth; ``write_simulation`` writes them as parquet/JSON, the panel in chunks of persons so a
million persons fit in a few GB. Same seed -> same data, byte for byte, whatever the chunk size.

The true effects of outreach (``truth["att"]``) hold in expectation for every covariate profile,
so they are also the truth in any subsample defined by covariates (e.g. cash-benefit recipients
aged 30+). See ``docs/simulation.md``.

Examples
--------
>>> from evaltool.simulate import simulate_study
>>> sim = simulate_study(n=500, seed=1)
>>> sim.truth["att"]["internship_or_wage_subsidy_52w"]
0.02
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaltool._checks import check_int, check_number
from evaltool.exceptions import DataError
from evaltool.registers._panel import RANGE_KEY
from evaltool.registers.codemap import CodeMap, default_code_map_path, load_code_map
from evaltool.simulate.areas import AREA_EFFECT, simulate_areas
from evaltool.simulate.contacts import (CONTACT_EFFECTS, COSTS, SOCIAL_EFFECTS, simulate_contacts,
                                        simulate_social_register)
from evaltool.simulate.population import (EFFECT_PLACEMENT, LOCKIN, PROCESS_EFFECTS, draw_population)
from evaltool.simulate.weekly import WORLDS, CodeTable, build_block
from evaltool.weeks import from_ordinal

__all__ = ["SimulatedStudy", "simulate_study", "write_simulation", "panel_for", "true_effects", "OUTCOME_DEFINITIONS",
           "simulate_contacts", "simulate_social_register"]

BLOCK = 20_000

# The outcome each truth key refers to (kinds and fields as in evaltool.registers.OutcomeSpec).
OUTCOME_DEFINITIONS: dict[str, dict[str, Any]] = {
    "internship_or_wage_subsidy_52w": {"kind": "any", "categories": ["virksomhedspraktik", "loentilskud"],
                                       "window": [1, 52]},
    "ordinary_employment_52w": {"kind": "any", "categories": ["self_support"], "window": [1, 52]},
    "self_support_26w": {"kind": "status_at", "categories": ["self_support"], "week": 26},
    "self_support_52w": {"kind": "status_at", "categories": ["self_support"], "week": 52},
    "self_support_share_104w": {"kind": "share", "categories": ["self_support"], "window": [1, 104]},
    "weeks_to_self_support_by_26w": {"kind": "time_to", "categories": ["self_support"], "horizon": 156,
                                     "by_week": 26},
    "weeks_to_self_support_by_52w": {"kind": "time_to", "categories": ["self_support"], "horizon": 156,
                                     "by_week": 52},
    "weeks_to_self_support_by_104w": {"kind": "time_to", "categories": ["self_support"], "horizon": 156,
                                      "by_week": 104},
}


def true_effects() -> dict[str, float]:
    """True ATT (= ATE, homogeneous) for each key of :data:`OUTCOME_DEFINITIONS`, probability scale."""
    # An extra placement for an early job-finder (job in week E0 ~ U{1..26}) holds them on
    # placement until week 27 + U{0..12}: they lose 27 + 6 - 13.5 = 19.5 self-supported weeks on average.
    lost = 27 + 6 - 13.5
    return {
        "internship_or_wage_subsidy_52w": EFFECT_PLACEMENT,
        "ordinary_employment_52w": 0.0,
        "self_support_26w": -LOCKIN,
        "self_support_52w": 0.0,
        "self_support_share_104w": round(-LOCKIN * lost / 104, 10),
        "weeks_to_self_support_by_26w": -LOCKIN,
        "weeks_to_self_support_by_52w": 0.0,
        "weeks_to_self_support_by_104w": 0.0,
    }


NOTES = (
    "Effects of outreach on binary outcomes on the probability scale (0.02 = 2 percentage points); "
    "weeks are relative to each person's start week (week 0; week 1 is the first week after start). "
    "Effects are homogeneous: they hold in expectation for every covariate profile, hence in any "
    "subsample defined by covariates (e.g. cash-benefit recipients aged 30+ exactly matched on "
    "match_group and benefit_type), for the ATT, ATE and ATC alike. Treatment is selected on age, sex, "
    "origin, match_group and prior_support_share, which also drive the outcomes: naive comparisons are "
    "biased. Keys ending _by_<k>w are differences in the probability of the first self-supported week "
    "by week k (1 - Kaplan-Meier). Process keys are differences in first-year means."
)


@dataclass(frozen=True)
class SimulatedStudy:
    """A simulated evaluation: persons, weekly panel (or None), area panel and the truth.

    ``latent`` holds the person-level draws behind the panel (for oracle checks with
    :func:`panel_for`); it is never written to disk.
    """

    persons: pd.DataFrame
    weekly_status: pd.DataFrame | None
    areas: pd.DataFrame
    truth: dict[str, Any]
    latent: dict[str, np.ndarray]
    code_map: CodeMap
    data_range: tuple[int, int] = (0, 0)


def _truth(seed: int, n: int, treated_share: float, code_map: CodeMap) -> dict[str, Any]:
    return {
        "att": true_effects(),
        "definitions": OUTCOME_DEFINITIONS,
        "process": dict(PROCESS_EFFECTS),
        # contact log (simulate_contacts), social register (simulate_social_register; any week 1-52), costs
        "contacts": dict(CONTACT_EFFECTS),
        "social": dict(SOCIAL_EFFECTS),
        "costs": dict(COSTS),
        "area_did": {"att": AREA_EFFECT, "outcome": "unemployment_rate", "unit": "area", "time": "year",
                     "first_treated": "outreach_start_year",
                     "note": "homogeneous in cohort and time; staggered adoption 2022-2024"},
        "simulation": {"n": n, "seed": seed, "treated_share": treated_share, "code_map": code_map.source},
        "notes": NOTES,
    }


def _check(n: int, seed: int, treated_share: float) -> None:
    check_int("n", n, low=1, exc=DataError)
    check_int("seed", seed, low=0, exc=DataError)
    check_number("treated_share", treated_share, low=0.0, high=0.9, low_open=True, exc=DataError)


def simulate_study(n: int = 20_000, seed: int = 2026, treated_share: float = 0.25, panel: bool = True,
                   code_map: CodeMap | str | Path | None = None) -> SimulatedStudy:
    """Simulate persons, weekly status panel, area panel and the true effects.

    Parameters
    ----------
    n : int
        Number of persons (treated and comparison pool).
    seed : int
        Seed; everything is derived from it with ``numpy.random.SeedSequence``.
    treated_share : float
        Expected share served by outreach (0 < share <= 0.9).
    panel : bool
        Build the weekly status panel (``False``: persons and areas only).
    code_map : CodeMap or path, optional
        Code map whose codes the panel uses (default: the bundled example).

    Returns
    -------
    SimulatedStudy

    Notes
    -----
    The effect sizes are fixed by the model (see ``truth`` and :func:`true_effects`), so
    the truth stays exact in every covariate-defined subsample.

    Examples
    --------
    >>> import evaltool
    >>> sim = evaltool.simulate_study(n=300, seed=1)
    >>> sim.persons.shape, int(sim.persons["outreach"].sum())
    ((300, 18), 80)
    >>> sim.weekly_status.columns.tolist()  # one row per person-week on public support
    ['person_id', 'week', 'code']
    >>> sim.truth["att"]["internship_or_wage_subsidy_52w"]  # the true ATT: +2 percentage points
    0.02
    """
    _check(n, seed, treated_share)
    cm = code_map if isinstance(code_map, CodeMap) else load_code_map(code_map or default_code_map_path())
    persons, latent, area_rng = draw_population(seed, n, treated_share)
    areas = simulate_areas(area_rng)
    weekly = panel_for(persons, latent, cm) if panel else None
    return SimulatedStudy(persons=persons, weekly_status=weekly, areas=areas,
                          truth=_truth(seed, n, treated_share, cm), latent=latent, code_map=cm,
                          data_range=_data_range(latent))


def _data_range(latent: dict[str, np.ndarray]) -> tuple[int, int]:
    """The weeks the simulated register covers: 156 weeks before the first start to 156 after the last."""
    s = latent["start_ord"]
    return int(from_ordinal(s.min() - 156)), int(from_ordinal(s.max() + 156))


def panel_for(persons: pd.DataFrame, latent: dict[str, np.ndarray], code_map: CodeMap,
              world: str = "observed") -> pd.DataFrame:
    """The weekly panel in the observed world, or with nobody (``control``) / everybody (``treated``) served.

    The three worlds share every random draw, so ``treated`` minus ``control`` outcomes are the
    individual effects (an oracle for tests).
    """
    if world not in WORLDS:
        raise DataError(f"`world` must be one of {', '.join(WORLDS)}; got {world!r}")
    codes = CodeTable(code_map)
    ids = persons["person_id"].to_numpy()
    parts = [build_block(latent, ids, slice(i, i + BLOCK), codes, world) for i in range(0, len(ids), BLOCK)]
    out = pd.concat(parts, ignore_index=True) if parts else build_block(latent, ids, slice(0, 0), codes, world)
    out = out.astype({"person_id": "int64", "week": "int32", "code": "int16"})
    if len(ids):
        out.attrs[RANGE_KEY] = list(_data_range(latent))
    return out


def _write_parquet_table(table, path: Path, row_group_size: int = 1_000_000) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, path, compression="zstd", row_group_size=row_group_size)


def write_simulation(out_dir: str | Path, n: int = 20_000, seed: int = 2026, treated_share: float = 0.25,
                     panel: bool = True, *, chunk_persons: int = 50_000,
                     code_map: CodeMap | str | Path | None = None) -> list[Path]:
    """Write ``persons.parquet``, ``weekly_status.parquet``, ``areas.parquet`` and ``truth.json``.

    The panel is written chunk by chunk (``chunk_persons`` persons per row group batch) with a
    pyarrow ``ParquetWriter`` (zstd; int64/int32/int16 columns), so memory stays bounded. Files
    are byte-identical for the same arguments.

    Returns
    -------
    list of Path
        The files written, in the order above (``weekly_status.parquet`` only if ``panel``).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    _check(n, seed, treated_share)
    check_int("chunk_persons", chunk_persons, low=1, exc=DataError)
    cm = code_map if isinstance(code_map, CodeMap) else load_code_map(code_map or default_code_map_path())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    persons, latent, area_rng = draw_population(seed, n, treated_share)
    written = []
    p_path = out / "persons.parquet"
    _write_parquet_table(pa.Table.from_pandas(persons, preserve_index=False), p_path)
    written.append(p_path)
    if panel:
        codes = CodeTable(cm)
        ids = persons["person_id"].to_numpy()
        first, last = _data_range(latent)
        schema = pa.schema([("person_id", pa.int64()), ("week", pa.int32()), ("code", pa.int16())],
                           metadata={RANGE_KEY: f"{first}-{last}"})
        w_path = out / "weekly_status.parquet"
        with pq.ParquetWriter(w_path, schema, compression="zstd") as writer:
            for i in range(0, n, chunk_persons):
                block = build_block(latent, ids, slice(i, i + chunk_persons), codes)
                writer.write_table(pa.Table.from_arrays(
                    [pa.array(block["person_id"].to_numpy()), pa.array(block["week"].to_numpy()),
                     pa.array(block["code"].to_numpy())], schema=schema), row_group_size=2_000_000)
                del block
        written.append(w_path)
    a_path = out / "areas.parquet"
    _write_parquet_table(pa.Table.from_pandas(simulate_areas(area_rng), preserve_index=False), a_path)
    written.append(a_path)
    t_path = out / "truth.json"
    t_path.write_text(json.dumps(_truth(seed, n, treated_share, cm), sort_keys=True, indent=2,
                                 ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(t_path)
    return written
