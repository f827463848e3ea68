"""Fast paths of report rendering and the folder gate give the same answers as the plain code they replace.

Each test compares a fast path with the straightforward oracle (written out here, as the code was before it
was made fast) on many inputs, including the edge cases the fast path has to get right.
"""

from __future__ import annotations

import math
import random

import pytest

from evaltool.report.disclosure import DisclosureRules, _Controller
from evaltool.report.disclosure_sizes import SizeIndex


def _near_oracle(c: _Controller, sizes: list, v) -> bool:
    return any(c.small(abs(v - k)) for k in sizes)


@pytest.mark.parametrize("m", [5, 10, 11])
def test_size_index_equals_the_scan_over_every_size(m: int) -> None:
    c = _Controller(DisclosureRules(min_cell=m), "")
    rng = random.Random(m)
    specials = [0, 0.0, 1, m - 1, m, m + 1, 1e6, 1e6 + 0.5, -3, math.nan, 2.5, 1e15, 1e15 + m - 1]
    for trial in range(300):
        sizes = [rng.choice([rng.randint(0, 60), rng.uniform(0, 60), rng.choice(specials)])
                 for _ in range(rng.randint(0, 30))]
        sizes += rng.sample(sizes, min(len(sizes), 5))  # repeated sizes
        index = SizeIndex(c, sizes[: len(sizes) // 2])
        for v in sizes[len(sizes) // 2:]:
            index.add(v)
        for v in [rng.randint(-5, 70) for _ in range(20)] + [rng.uniform(-5, 70) for _ in range(5)] + specials:
            assert index.near(v) == _near_oracle(c, sizes, v), (sizes, v)


def test_size_index_finds_a_clash_and_ignores_equal_and_distant_sizes() -> None:
    c = _Controller(DisclosureRules(min_cell=5), "")
    index = SizeIndex(c, [100, 100, 250])
    assert index.near(104) and index.near(96) and index.near(100.5) and index.near(246)
    assert not index.near(100) and not index.near(105) and not index.near(95) and not index.near(175)
    assert not index.near(math.nan)
    index.add(110)
    assert index.near(106) and index.sizes == [100, 110, 250]
