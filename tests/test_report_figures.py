"""Figures and table marks (issue 17): gaps for hidden points, legends off the data, the effect-over-time
figure, a data table and alt text for every figure, distinct marks for hidden / not applicable / zero."""

from __future__ import annotations

import copy
import html as html_mod
import json
import re
from pathlib import Path

import pytest

from evaltool.report import figures as fg
from evaltool.report import render_report
from evaltool.report.formatting import DASH, SUPPRESSED

FIXTURES = Path(__file__).parent / "fixtures" / "report"
VARIANTS = [("midterm", "da"), ("midterm", "en"), ("final", "da"), ("final", "en")]


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reports() -> dict[tuple[str, str], str]:
    final, midterm = load("results_example.json"), load("results_midterm.json")
    return {(t, lang): render_report(final if t == "final" else midterm, t, lang,
                                     compare_with=midterm if t == "final" else None).html
            for t, lang in VARIANTS}


def _num(v: float, d: int) -> str:
    return f"{v:.{d}f}"


@pytest.fixture
def captured(monkeypatch):
    """The matplotlib figure each drawing function hands to ``_svg`` (kept open for inspection)."""
    figs = []
    real = fg._svg

    def keep(fig, key, title):
        fig.canvas.draw()
        figs.append(fig)
        return real(fig, key, title)

    monkeypatch.setattr(fg, "_svg", keep)
    return figs


def test_forest_legend_is_outside_the_plotted_intervals(captured):
    """The subgroup legend no longer covers the last (50+) interval: it sits above the axes."""
    rows = [("Age", None, None, None, True), ("<40", 1.0, -1.0, 3.0, False), ("40-49", 2.0, 0.0, 4.0, False),
            ("50+", 9.0, 1.0, 10.0, False)]  # the 50+ interval runs into the lower right corner
    fg.forest_plot("t-forest", "t", rows, 2.0, {"x": "pp", "overall": "Overall effect"}, _num)
    fig = captured[-1]
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.y0 >= ax.get_window_extent().y1 - 1, "legend inside the axes"


def test_effect_over_time_has_ticks_at_the_horizons_and_a_legend_off_the_bands(captured):
    svg = fg.effect_over_time("t-time", "t", [("A", [26, 52, 104, 156], [1.0, 2.0, 1.5, 0.5],
                                               [0.0, 1.0, 0.2, -1.0], [2.0, 3.0, 2.8, 2.0])],
                              {"x": "weeks", "y": "pp"}, _num)
    ax = captured[-1].axes[0]
    assert [int(t) for t in ax.get_xticks()] == [26, 52, 104, 156]
    assert ax.get_legend().get_window_extent().y0 >= ax.get_window_extent().y1 - 1
    assert 'role="img"' in svg and "<title" in svg


def test_hidden_trajectory_points_are_shaded_gaps_with_a_legend_entry(captured):
    weeks = list(range(-4, 5))
    treated = [0.1, 0.1, None, None, 0.2, None, 0.3, 0.3, 0.3]
    comparison = [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3]
    assert fg.hidden_runs(weeks, treated, comparison) == [(-2, -1), (1, 1)]
    fg.trajectories_plot("t-traj", "t", weeks, [("A", treated, comparison)],
                         {"treated": "T", "comparison": "C", "x": "w", "pct": "%", "hidden": "Hidden"}, _num)
    fig = captured[-1]
    ax = fig.axes[0]
    assert len(ax.patches) == 2  # one grey band per run of hidden weeks
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["T", "C", "Hidden"]
    # a point standing alone between two gaps is drawn as a dot, not lost
    dots = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert dots and list(dots[0].get_xdata()) == [0]


def test_parallel_trends_claim_is_qualified_when_points_before_start_are_hidden():
    res = load("results_example.json")
    shown = copy.deepcopy(res)
    for r in shown["trajectories"]:
        r["share"], r["n"] = 0.25, max(r["n"], 1000)  # every share rests on enough persons: nothing hidden
    plain = render_report(shown, "final", "en").html
    assert "Parallel lines before the start support the comparison." in plain
    assert "only the weeks that are shown" not in plain and "Hidden (disclosure control)" not in plain
    hidden = copy.deepcopy(shown)
    for r in hidden["trajectories"]:
        if r["week"] == -10:
            r["share"] = 0.0001  # implies fewer than 5 persons: hidden by disclosure control
    after = render_report(hidden, "final", "en").html
    assert "only the weeks that are shown can be judged" in after
    assert "Hidden (disclosure control)" in after  # the figure's legend


@pytest.mark.parametrize("template, lang", VARIANTS)
def test_every_figure_has_alt_text_and_numbers(reports, template, lang):
    html = reports[(template, lang)]
    figures = re.findall(r'<figure id="([^"]+)"[^>]*>(.*?)</figure>', html, flags=re.S)
    assert len(figures) >= 5
    for fid, body in figures:
        title = re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="([^"]+)"[^>]*>\s*<title id="\1">([^<]+)</title>',
                          body)
        assert title and title.group(2).strip(), f"{fid}: no alt text"
        own = re.search(r"<details>\s*<summary>[^<]+</summary>\s*<div class=\"table-wrap\">\s*<table id=", body)
        ref = re.search(r'<a href="#(tab-[^"]+)">', body)
        assert own or (ref and f'<table id="{ref.group(1)}"' in html), f"{fid}: no data table"


@pytest.mark.parametrize("template", ["midterm", "final"])
def test_effect_over_time_is_drawn_whenever_horizons_exist(reports, template):
    html = reports[(template, "en")]
    assert '<figure id="fig-over-time"' in html
    table = html[html.index('<table id="tab-over-time"'):]
    table = table[:table.index("</table>")]
    assert "Week 26" in table and "Week 52" in table


# --- marks: hidden, not applicable, zero -------------------------------------------------------------


def test_marks_are_distinct():
    assert len({"<5", SUPPRESSED, DASH, "0"}) == 4


@pytest.mark.parametrize("template, lang", VARIANTS)
def test_table_marks_are_explained_in_the_reading_guide(reports, template, lang):
    html = reports[(template, lang)]
    guide = html[html.index('<section id="guide"'):html.index("</section>", html.index('<section id="guide"'))]
    marks = [html_mod.unescape(m) for m in re.findall(r"<dt>([^<]+)</dt>", guide)]
    assert marks == ["<5", SUPPRESSED, DASH, "0"]
    cells = re.findall(r'<td class="num( sup)?">([^<]*)</td>', html)
    hidden = {html_mod.unescape(t) for sup, t in cells if sup}
    assert hidden <= {"<5", SUPPRESSED}, hidden  # a hidden cell never looks like "not applicable" or 0
    assert all(t != SUPPRESSED for sup, t in cells if not sup)  # ".." only where disclosure control hid it


def test_hidden_not_applicable_and_zero_cells_differ(reports):
    html = reports[("final", "en")]
    sub = html[html.index('id="tab-sub-1"'):]
    sub = sub[:sub.index("</table>")]
    assert '<td class="num sup">..</td>' in sub  # a secondary-suppressed subgroup row
    tg = html[html.index('id="tab-target"'):]
    tg = tg[:tg.index("</table>")]
    assert '<td class="num sup">&lt;5</td>' in tg  # a small count
    res = load("results_example.json")
    res = copy.deepcopy(res)
    e = res["effects"][0]
    e["ci_low"] = e["ci_high"] = None  # not estimable: no interval, not hidden
    out = render_report(res, "final", "en").html
    eff = out[out.index('id="tab-effects"'):]
    eff = eff[:eff.index("</table>")]
    assert f'<td class="num">{DASH}</td>' in eff and '<td class="num sup">' not in eff


def test_marks_agree_between_danish_and_english(reports):
    def guide_marks(html: str) -> list[str]:
        g = html[html.index('<section id="guide"'):]
        return re.findall(r"<dt>([^<]+)</dt>", g[:g.index("</section>")])

    assert guide_marks(reports[("final", "da")]) == guide_marks(reports[("final", "en")])
    da, en = (re.findall(r'<td class="num sup">([^<]*)</td>', reports[("final", x)]) for x in ("da", "en"))
    assert da == en and da
