"""Journey figures (matplotlib, colour-blind safe Okabe-Ito palette): an alluvial (Sankey-style)
diagram of state flows between period starts, and the state distribution week by week.

Both return a :class:`matplotlib.figure.Figure` and never save or show it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evaltool.exceptions import EstimationError

__all__ = ["PALETTE", "alluvial_figure", "state_distribution_figure"]

# Okabe & Ito (2008), then two greys for the last states (e.g. other)
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
           "#999999", "#DDDDDD")


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _group(result: Any, group: str) -> list[dict[str, Any]]:
    steps = [t for t in result.transitions if t["group"] == group]
    if not steps:
        known = sorted({t["group"] for t in result.transitions})
        raise EstimationError(f"`group` {group!r} not in the journeys; groups: {', '.join(known)}")
    return sorted(steps, key=lambda t: t["from_period"])


def alluvial_figure(result: Any, group: str = "treated", gap: float = 0.01, title: str | None = None):
    """Alluvial diagram of one group's journey (``result``: a :class:`JourneyResult`).

    Node heights are the head-count shares of the states at each period start; ribbons split
    them by the (weighted) transition shares ``P(to | from)`` to the next period start.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    steps = _group(result, group)
    names = list(result.states)
    ns = len(names)
    # state shares at each column from the transitions' weighted row totals
    shares = []
    flows = []
    for t in steps:
        sh = np.nan_to_num(np.asarray(t["shares"], dtype=float))
        cnt = np.asarray(t["counts"], dtype=float)
        frm = cnt.sum(axis=1)
        frm = frm / frm.sum() if frm.sum() > 0 else frm
        shares.append(frm)
        flows.append(frm[:, None] * sh)
    shares.append(flows[-1].sum(axis=0))
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot(1, 1, 1)
    width = 0.12
    tops = []
    for k, col in enumerate(shares):
        y = 1.0 + gap * ns
        top = np.zeros(ns)
        for s in range(ns):
            top[s] = y
            if col[s] > 0:
                ax.add_patch(matplotlib.patches.Rectangle((k - width / 2, y - col[s]), width, col[s],
                                                          color=_colour(s), lw=0))
            y -= col[s] + gap
        tops.append(top)
    x = np.linspace(0, 1, 30)
    sig = 3 * x ** 2 - 2 * x ** 3
    for k, f in enumerate(flows):
        out_off = tops[k].copy()
        in_off = tops[k + 1].copy()
        for a in range(ns):
            for b in range(ns):
                v = f[a, b]
                if v <= 0:
                    continue
                y0, y1 = out_off[a], in_off[b]
                upper = y0 + (y1 - y0) * sig
                ax.fill_between(k + width / 2 + x * (1 - width), upper - v, upper, color=_colour(a), alpha=0.45, lw=0)
                out_off[a] -= v
                in_off[b] -= v
    ax.set_xlim(-0.5, len(shares) - 0.5)
    ax.set_ylim(-gap * ns - 0.02, 1.0 + gap * ns + 0.02)
    step = {"month": 4, "quarter": 13}.get(result.period, 1)
    ax.set_xticks(range(len(shares)), [f"week {k * step}" for k in range(len(shares))])
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    used = [s for s in range(ns) if any(col[s] > 0 for col in shares)]
    ax.legend(handles=[Patch(color=_colour(s), label=names[s]) for s in used], loc="center left",
              bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    ax.set_title(title or f"Journeys: {group}")
    fig.tight_layout()
    return fig


def state_distribution_figure(result: Any, title: str | None = None):
    """Stacked weighted state shares at each period start, one panel per group."""
    from matplotlib.figure import Figure

    dist = result.distribution
    groups = list(dict.fromkeys(dist["group"]))
    names = list(result.states)
    fig = Figure(figsize=(9, 3.8))
    axes = fig.subplots(1, len(groups), sharey=True, squeeze=False)[0]
    for ax, g in zip(axes, groups):
        d = dist[dist["group"] == g].pivot(index="week", columns="state", values="share").reindex(columns=names)
        d = d.fillna(0.0)
        ax.stackplot(d.index.to_numpy(), d.to_numpy().T, colors=[_colour(i) for i in range(len(names))],
                     labels=names)
        ax.set_title(g)
        ax.set_xlabel("weeks since start")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("share")
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
