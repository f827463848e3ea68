"""Issue 17 part 6 (ticks): tick labels print every nice step exactly ("0,25", never "0,2" for 0.25)."""

from __future__ import annotations

import re

from evaltool.report import figures as fg
from evaltool.report.figures import step_decimals
from evaltool.report.formatting import NumberFormat


def test_step_decimals():
    assert [step_decimals(s) for s in (2.0, 0.5, 0.25, 0.2, 0.125, 0.05)] == [0, 1, 2, 1, 3, 2]


def _ticks(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*\d[^<]*)</text>", svg)


def test_quarter_percent_steps_are_printed_exactly():
    num = NumberFormat("da").number
    # CIs from -0.5 to 1.2 pp: the locator picks 0.25-wide steps (checked with matplotlib 3.x)
    svg = fg.effects_plot("t", "t", ["a", "b"], [-0.4, 1.1], [-0.5, -0.3], [1.0, 1.2], {"x": "x"}, num)
    labels = [t for t in _ticks(svg) if re.fullmatch(r"[−\d,]+", t)]
    values = [float(t.replace("−", "-").replace(",", ".")) for t in labels]
    steps = {round(b - a, 6) for a, b in zip(values, values[1:])}
    # evenly spaced labels: the old formatter printed 0,25 steps as "0,2 / 0,5 / 0,8"
    assert steps == {0.25}, labels
    assert "0,25" in labels and "0,75" in labels
