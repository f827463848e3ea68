"""Figures of the area chapter: area trends and the event study, as deterministic inline SVG.

Inputs are disclosure-controlled plain numbers (``None`` is drawn as a gap); labels arrive
translated and the tick formatter is the report language's (see :mod:`evaltool.report.figures`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt

from evaltool.report.figures import COMPARISON, GREY, TREATED, _RC, Num, _axis_fmt, _nan, _svg

__all__ = ["trend_plot", "event_plot"]

_AREA_COLOURS = ("#1b4f72", "#117a65", "#7d3c98", "#b9770e", "#2e86c1", "#943126")


def trend_plot(key: str, title: str, periods: Sequence[int], series: list[tuple[str, str, list[float | None]]],
               start: int | None, start_label: str, ylabel: str, num: Num, percent: bool) -> str:
    """Lines per series; ``series`` = (label, kind, values) with kind area/treated/comparison/synthetic."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        k = 0
        for label, kind, values in series:
            y = [v if v is None else v * (100 if percent else 1) for v in values]
            if kind == "area":
                ax.plot(periods, _nan(y), color=_AREA_COLOURS[k % len(_AREA_COLOURS)], lw=1.2, marker="o",
                        ms=2.5, label=label)
                k += 1
            elif kind == "treated":
                ax.plot(periods, _nan(y), color=TREATED, lw=2.4, label=label)
            elif kind == "comparison":
                ax.plot(periods, _nan(y), color=COMPARISON, lw=2.4, label=label)
            else:  # synthetic paths: dashed (synthetic control), dotted (synthetic DiD)
                ax.plot(periods, _nan(y), color=GREY, lw=1.6, ls="--" if kind == "synthetic_control" else ":",
                        label=label)
        if start is not None:
            ax.axvline(start - 0.5, color="#999999", lw=0.8, ls=":")
            ax.annotate(start_label, (start - 0.5, 1.0), xycoords=("data", "axes fraction"), fontsize=8,
                        ha="left", va="top", xytext=(3, 0), textcoords="offset points", color="#444444")
        ax.set_ylabel(ylabel)
        _axis_fmt(ax, num, "y", 0, " %" if percent and num(1.5, 1) == "1,5" else "%" if percent else "")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _svg(fig, key, title)


def event_plot(key: str, title: str, series: list[tuple[str, list[int], list[float | None], list[float | None],
                                                        list[float | None]]],
               reference: int, reference_label: str, xlabel: str, ylabel: str, num: Num) -> str:
    """Estimates by event time with 95 % intervals; ``series`` = (label, event times, est, low, high)."""
    colours = (TREATED, COMPARISON, "#117a65")
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.4, 3.4))
        shift = 0.12 if len(series) > 1 else 0.0
        for k, (label, times, est, lo, hi) in enumerate(series):
            x = [t + (k - (len(series) - 1) / 2) * shift for t in times]
            e, lo_, hi_ = _nan(est), _nan(lo), _nan(hi)
            ax.vlines(x, lo_, hi_, color=colours[k % 3], lw=1.2)
            ax.plot(x, e, "o" if k == 0 else "s", color=colours[k % 3], ms=4, label=label, ls="none")
        ax.axhline(0, color="#444444", lw=0.8)
        ax.axvline(reference + 0.5, color="#999999", lw=0.8, ls="--")
        ax.annotate(reference_label, (reference, 0), xytext=(0, -14), textcoords="offset points", ha="center",
                    fontsize=7.5, color="#444444")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        _axis_fmt(ax, num, "y", 1)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.legend(fontsize=8)
        return _svg(fig, key, title)
