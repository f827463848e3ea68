"""The alluvial (Sankey-style) figure of the citizen journeys, drawn from *controlled* transition counts.

Columns are the period starts (week 0, 13, 26, ...); a node is the number of persons in a state at a
period start, a ribbon the number moving from one state to another by the next period start. Only
published counts are drawn: a transition count that disclosure control suppressed (``None``, fewer
than ``min_cell`` persons or a complement) is left out, and so is a count below ``min_cell`` that
reaches this function for any other reason. Node heights are the sums of the ribbons drawn, so no
suppressed count can be read off the figure as a difference. Colours: Okabe-Ito (colour-blind safe),
text kept as text, deterministic SVG (:func:`evaltool.report.figures._svg`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evaltool.process.figures import PALETTE
from evaltool.report.figures import _RC, _svg

__all__ = ["drawn_flows", "alluvial_svg"]


def drawn_flows(steps: Sequence[Sequence[Sequence[int | None]]], min_cell: int) -> list[np.ndarray]:
    """The ribbons the figure draws: each step's counts with suppressed (``None``) and small counts as 0.

    Examples
    --------
    >>> [m.tolist() for m in drawn_flows([[[12, None], [3, 40]]], 5)]
    [[[12, 0], [0, 40]]]
    """
    out = []
    for counts in steps:
        m = np.array([[0 if v is None or v < min_cell else int(v) for v in row] for row in counts], dtype=int)
        out.append(m)
    return out


def alluvial_svg(key: str, title: str, columns: Sequence[str], states: Sequence[str],
                 steps: Sequence[Sequence[Sequence[int | None]]], min_cell: int, persons_label: str) -> str:
    """Inline SVG of one group's alluvial diagram.

    ``columns`` labels the period starts (one more than ``steps``), ``states`` the states (translated),
    ``steps`` holds one controlled count matrix per period (rows: state at its start, columns: state at
    the next start). ``title`` is the figure's accessible name (its ``<title>``, the alt text).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    flows = drawn_flows(steps, min_cell)
    ns = len(states)
    nodes = [f.sum(axis=1) for f in flows] + [flows[-1].sum(axis=0)] if flows else []
    # between two steps the column holds what arrives (from the left) and what leaves (to the right)
    heights = [np.maximum(nodes[k], flows[k - 1].sum(axis=0) if k else nodes[k]) for k in range(len(nodes))]
    total = max([float(h.sum()) for h in heights] + [1.0])
    gap = 0.015 * total
    width = 0.14
    with plt.rc_context({**_RC, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(7.6, 4.2))
        tops = []
        for k, col in enumerate(heights):
            y = total + gap * ns
            top = np.zeros(ns)
            for s in range(ns):
                top[s] = y
                if col[s] > 0:
                    ax.add_patch(Rectangle((k - width / 2, y - col[s]), width, col[s], facecolor=PALETTE[s % len(PALETTE)],
                                           edgecolor="#333333", linewidth=0.3))
                    y -= col[s] + gap
            tops.append(top)
        x = np.linspace(0.0, 1.0, 24)
        sig = 3 * x ** 2 - 2 * x ** 3
        for k, f in enumerate(flows):
            out_off, in_off = tops[k].copy(), tops[k + 1].copy()
            for a in range(ns):
                for b in range(ns):
                    v = float(f[a, b])
                    if v <= 0:
                        continue
                    upper = out_off[a] + (in_off[b] - out_off[a]) * sig
                    ax.fill_between(k + width / 2 + x * (1 - width), upper - v, upper, color=PALETTE[a % len(PALETTE)],
                                    alpha=0.45, linewidth=0)
                    out_off[a] -= v
                    in_off[b] -= v
        ax.set_xlim(-0.5, len(heights) - 0.5)
        ax.set_ylim(-gap * ns, total + gap * (ns + 1))
        ax.set_xticks(range(len(columns)), list(columns))
        ax.set_yticks([])
        ax.set_ylabel(persons_label)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        used = [s for s in range(ns) if any(h[s] > 0 for h in heights)]
        ax.legend(handles=[Patch(facecolor=PALETTE[s % len(PALETTE)], label=states[s]) for s in used],
                  loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
        fig.tight_layout()
        return _svg(fig, key, title)
