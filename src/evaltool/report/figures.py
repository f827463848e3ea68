"""Report figures: matplotlib (Agg) drawn to deterministic inline SVG strings.

Every function takes already disclosure-controlled, plain numbers (``None``
where a value was suppressed: drawn as a gap) plus a tick formatter for the
report's language, and returns an ``<svg>`` element with ``role="img"``, a
``<title>`` and ``aria-labelledby``, ready to inline. Bytes are deterministic:
a fixed ``svg.hashsalt`` per figure (which also keeps element ids unique within
one page), no date or creator metadata, text kept as text (``svg.fonttype:
none``).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from typing import Any
from html import escape

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

__all__ = ["love_plot", "propensity_overlap", "effects_plot", "effect_over_time", "forest_plot",
           "trajectories_plot", "km_plot", "hidden_runs", "TREATED", "COMPARISON"]

TREATED = "#1b4f72"
COMPARISON = "#a04000"
GREY = "#6b6b6b"
_RC = {"svg.fonttype": "none", "font.family": "sans-serif", "font.size": 9,
       "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"], "axes.spines.top": False,
       "axes.spines.right": False, "axes.edgecolor": "#444444", "axes.labelcolor": "#222222",
       "xtick.color": "#333333", "ytick.color": "#333333", "axes.grid": True, "grid.color": "#e3e3e3",
       "grid.linewidth": 0.6, "legend.frameon": False, "path.simplify": False,
       # labels and data values are plain text: a `$` must not start mathtext (crash or garbled text)
       "text.parse_math": False, "text.usetex": False}

Num = Callable[[float, int], str]


def _nan(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _svg(fig, key: str, title: str) -> str:
    buf = io.StringIO()
    with plt.rc_context({"svg.hashsalt": f"evaltool-{key}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None,
                                                 "Type": None}, bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    # width/height (pt) stay: a figure prints at its drawn size (text at its font size) and shrinks
    # only where the page or screen is narrower (report.css: width auto, max-width 100 %)
    tid = f"{key}-title"
    text = text.replace("<svg ", f'<svg class="chart" role="img" aria-labelledby="{tid}" ', 1)
    head_end = text.index(">") + 1
    text = text[:head_end] + f'<title id="{tid}">{escape(title)}</title>' + text[head_end:]
    return "\n".join(line for line in text.splitlines() if line.strip()) + "\n"


def _axis_fmt(ax, num: Num, axis: str = "y", decimals: int = 0, suffix: str = "") -> None:
    """Locale-formatted tick labels with at least ``decimals`` decimals, more when ticks are closer."""
    target = ax.yaxis if axis == "y" else ax.xaxis

    def step(locs: Any) -> float:
        gaps = np.diff(np.asarray(locs, dtype=float))
        return float(np.min(np.abs(gaps))) if gaps.size else 0.0

    # nice steps only (1, 2, 2.5, 5 x 10^k), and enough decimals to print each step exactly
    target.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(_StepFormatter(lambda v, s: num(v, max(decimals, step_decimals(s))) + suffix,
                                              lambda: step(target.get_majorticklocs()), step))


class _StepFormatter(FuncFormatter):
    """``func(value, step)``, ``step`` the smallest gap between the axis' major ticks.

    Labelling the ticks (:meth:`format_ticks`) works the gap out once from the ticks being
    labelled, which are the axis' major tick locations; a single call asks the axis for them.
    """

    def __init__(self, func: Callable[[float, float], str], axis_step: Callable[[], float],
                 step_of: Callable[[Any], float]) -> None:
        super().__init__(lambda v, _pos: func(v, axis_step()))
        self._func, self._step_of = func, step_of
        self._labels: dict[tuple[float, float], str] = {}

    def format_ticks(self, values: Any) -> list[str]:
        self.set_locs(values)
        s = self._step_of(values)
        return [self._label(v, s) for v in values]

    def _label(self, value: float, step: float) -> str:
        """A tick label; the same ticks are labelled again in each layout and drawing pass."""
        key = (value, step)
        if key not in self._labels:
            self._labels[key] = self._func(value, step)
        return self._labels[key]


def step_decimals(step: float, most: int = 4) -> int:
    """Decimals needed to print multiples of ``step`` exactly (0.25 -> 2, 0.5 -> 1, 2 -> 0)."""
    if not (step > 0 and math.isfinite(step)):
        return 0
    for d in range(most + 1):
        if abs(round(step, d) - step) < 1e-9 * max(1.0, step):
            return d
    return most


def love_plot(key: str, title: str, terms: list[str], before: list[float | None], after: list[float | None],
              threshold: float, labels: dict[str, str], num: Num) -> str:
    """Absolute standardised mean differences before and after matching, one row per term."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.4, 0.19 * len(terms) + 0.9))
        y = list(range(len(terms)))[::-1]
        ax.scatter([abs(v) for v in _nan(before)], y, facecolors="white", edgecolors=GREY, s=28,
                   label=labels["before"], zorder=3)
        ax.scatter([abs(v) for v in _nan(after)], y, color=TREATED, s=28, label=labels["after"], zorder=4)
        ax.axvline(threshold, color=COMPARISON, linestyle="--", linewidth=1)
        ax.set_yticks(y, terms)
        ax.set_xlabel(labels["x"])
        ax.set_xlim(left=0)
        _axis_fmt(ax, num, "x", 2)
        ax.legend(loc="lower right")
        return _svg(fig, key, title)


def propensity_overlap(key: str, title: str, edges: list[float], panels: list[tuple[str, list, list]],
                       labels: dict[str, str], num: Num) -> str:
    """Propensity-score histograms (percent of each group per bin), one panel per comparison."""
    mids = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
    width = min(b - a for a, b in zip(edges[:-1], edges[1:])) * 0.9
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(1, len(panels), figsize=(6.4, 2.5), sharey=True, sharex=True)
        axes = [axes] if len(panels) == 1 else list(axes)
        for ax, (panel_title, treated, control) in zip(axes, panels):
            for counts, colour, lab, sign in ((treated, TREATED, labels["treated"], 1),
                                              (control, COMPARISON, labels["comparison"], -1)):
                total = sum(c for c in counts if c is not None) or 1
                heights = [math.nan if c is None else sign * 100 * c / total for c in counts]
                ax.bar(mids, heights, width=width, color=colour, label=lab)
            ax.axhline(0, color="#444444", linewidth=0.8)
            ax.set_title(panel_title, fontsize=9)
            ax.set_xlabel(labels["x"])
            _axis_fmt(ax, num, "x", 1)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: num(abs(v), 0) + labels["pct"]))
        axes[0].set_ylabel(labels["y"])
        handles, names = axes[0].get_legend_handles_labels()
        fig.subplots_adjust(bottom=0.3)
        fig.legend(handles, names, loc="lower center", ncol=2, fontsize=8, bbox_to_anchor=(0.5, 0.0))
        return _svg(fig, key, title)


def effects_plot(key: str, title: str, names: list[str], est: list[float | None], lo: list[float | None],
                 hi: list[float | None], labels: dict[str, str], num: Num) -> str:
    """Point estimates with 95 % confidence intervals, one row per outcome."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.4, 0.34 * len(names) + 0.9))
        y = list(range(len(names)))[::-1]
        e, low, high = _nan(est), _nan(lo), _nan(hi)
        ax.hlines(y, low, high, color=TREATED, linewidth=2)
        ax.scatter(e, y, color=TREATED, s=30, zorder=3)
        ax.axvline(0, color="#444444", linewidth=0.9)
        ax.set_yticks(y, names)
        ax.set_xlabel(labels["x"])
        _axis_fmt(ax, num, "x", 1)
        return _svg(fig, key, title)


def effect_over_time(key: str, title: str, series: list[tuple[str, list[int], list, list, list]],
                     labels: dict[str, str], num: Num) -> str:
    """Effects (with 95 % CI bands) by horizon in weeks, one line per outcome family."""
    colours = [TREATED, COMPARISON, "#196f3d", "#6c3483"]
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.0, 2.3))
        for i, (name, weeks, est, lo, hi) in enumerate(series):
            c = colours[i % len(colours)]
            ax.fill_between(weeks, _nan(lo), _nan(hi), color=c, alpha=0.15, linewidth=0)
            ax.plot(weeks, _nan(est), marker="o", color=c, label=name)
        ax.axhline(0, color="#444444", linewidth=0.9)
        ax.set_xlabel(labels["x"])
        ax.set_ylabel(labels["y"])
        # ticks at the horizons themselves (26, 52, 104, 156 weeks), not at round numbers between them
        horizons = sorted({w for _n, weeks, *_r in series for w in weeks})
        ax.set_xticks(horizons, [num(w, 0) for w in horizons])
        ax.grid(axis="x", visible=False)
        _axis_fmt(ax, num, "y", 1)
        # above the axes: a legend inside may cover a band
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=8, borderaxespad=0.2,
                  ncol=min(2, len(series)))
        return _svg(fig, key, title)


def forest_plot(key: str, title: str, rows: list[tuple[str, float | None, float | None, float | None, bool]],
                overall: float | None, labels: dict[str, str], num: Num) -> str:
    """Subgroup effects with 95 % CIs; ``rows`` are (label, est, lo, hi, is_heading)."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(5.6, 0.2 * len(rows) + 0.9))
        y = list(range(len(rows)))[::-1]
        names = []
        for yi, (label, est, lo, hi, heading) in zip(y, rows):
            names.append(label)
            if heading or est is None:
                continue
            ax.hlines(yi, lo, hi, color=TREATED, linewidth=1.8)
            ax.scatter([est], [yi], color=TREATED, marker="s", s=24, zorder=3)
        ax.axvline(0, color="#444444", linewidth=0.9)
        if overall is not None:
            ax.axvline(overall, color=COMPARISON, linestyle="--", linewidth=1, label=labels["overall"])
            # above the axes, right-aligned: a legend inside would cover an interval (issue 17: the 50+ row)
            ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, borderaxespad=0.2)
        ax.set_yticks(y, names)
        for tick, (_l, _e, _lo, _hi, heading) in zip(ax.get_yticklabels(), rows):
            tick.set_fontweight("bold" if heading else "normal")
        ax.set_xlabel(labels["x"])
        _axis_fmt(ax, num, "x", 1)
        return _svg(fig, key, title)


def trajectories_plot(key: str, title: str, weeks: list[int],
                      panels: list[tuple[str, list[float | None], list[float | None]]],
                      labels: dict[str, str], num: Num) -> str:
    """Share (percent) in each category by week since start, treated vs comparison, one panel each."""
    ncol = 2 if len(panels) > 1 else 1
    nrow = math.ceil(len(panels) / ncol)
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(nrow, ncol, figsize=(6.8, 1.9 * nrow), squeeze=False)
        flat = [a for row in axes for a in row]
        for ax, (name, treated, comparison) in zip(flat, panels):
            # hidden weeks (disclosure control) are shaded gaps, so a broken line reads as "not shown",
            # and a point standing alone between gaps is a dot rather than vanishing
            for start, end in hidden_runs(weeks, treated, comparison):
                ax.axvspan(start - 0.5, end + 0.5, color="#d9d9d9", alpha=0.6, linewidth=0,
                           label=labels["hidden"])
            for values, colour, style, width, lab in ((treated, TREATED, "-", 1.6, labels["treated"]),
                                                      (comparison, COMPARISON, "--", 1.4, labels["comparison"])):
                ys = [v * 100 for v in _nan(values)]
                ax.plot(weeks, ys, color=colour, linewidth=width, linestyle=style, label=lab)
                alone = [i for i, v in enumerate(ys) if not math.isnan(v)
                         and (i == 0 or math.isnan(ys[i - 1])) and (i == len(ys) - 1 or math.isnan(ys[i + 1]))]
                if alone:
                    ax.plot([weeks[i] for i in alone], [ys[i] for i in alone], linestyle="none", marker="o",
                            markersize=2.2, color=colour)
            ax.axvline(0, color=GREY, linewidth=0.8)
            ax.set_title(name, fontsize=9)
            ax.set_ylim(bottom=0)
            _axis_fmt(ax, num, "y", 0, labels["pct"])
            _axis_fmt(ax, num, "x", 0)
            ax.set_xlabel(labels["x"])
        for ax in flat[len(panels):]:
            ax.set_visible(False)
        seen: dict[str, Any] = {}
        for ax in flat[:len(panels)]:
            for h, n in zip(*ax.get_legend_handles_labels()):
                seen.setdefault(n, h)
        order = [n for n in (labels["treated"], labels["comparison"], labels["hidden"]) if n in seen]
        fig.tight_layout(rect=(0, 0.06 if nrow > 1 else 0.1, 1, 1))  # room for one legend below the panels
        fig.legend([seen[n] for n in order], order, loc="lower center", ncol=len(order), fontsize=8,
                   frameon=False)
        return _svg(fig, key, title)


def hidden_runs(weeks: Sequence[int], *series: Sequence[float | None]) -> list[tuple[int, int]]:
    """Runs of consecutive weeks (first, last) in which any of ``series`` is hidden (None)."""
    runs: list[tuple[int, int]] = []
    for i, w in enumerate(weeks):
        if any(i < len(s) and s[i] is None for s in series):
            if runs and i > 0 and runs[-1][1] == weeks[i - 1]:
                runs[-1] = (runs[-1][0], w)
            else:
                runs.append((w, w))
    return runs


def km_plot(key: str, title: str, curves: list[tuple[str, list[int], list[float | None]]],
            labels: dict[str, str], num: Num) -> str:
    """Cumulative share with the event (1 − Kaplan–Meier survival), step curves per group."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.0, 2.5))
        for (name, weeks, surv), colour, style in zip(curves, [TREATED, COMPARISON, GREY], ["-", "--", ":"]):
            ax.step(weeks, [100 * (1 - v) for v in _nan(surv)], where="post", color=colour, linestyle=style,
                    label=name)
        ax.set_xlabel(labels["x"])
        ax.set_ylabel(labels["y"])
        ax.set_ylim(bottom=0)
        _axis_fmt(ax, num, "y", 0, labels["pct"])
        _axis_fmt(ax, num, "x", 0)
        ax.legend(loc="upper left", fontsize=8)
        return _svg(fig, key, title)
