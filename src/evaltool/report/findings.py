"""Plain-language sentences generated from the numbers (summary, conclusions, comparison).

Each sentence states both group levels, the difference with its 95 % CI and,
honestly, whether the difference is statistically significant, before and
after the multiple-testing adjustment declared in the config.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaltool.report.disclosure import suppressed_fields
from evaltool.report.formatting import NumberFormat
from evaltool.report.i18n import Translator
from evaltool.report.labels import Labels
from evaltool.results.schema import EffectRow

__all__ = ["Findings", "ALPHA"]

ALPHA = 0.05


@dataclass(frozen=True)
class Findings:
    """Sentence builder for one report."""

    fmt: NumberFormat
    _: Translator
    labels: Labels
    adjust: str
    min_cell: int

    def hidden(self, e: EffectRow) -> bool:
        return "estimate" in suppressed_fields(e) or e.estimate is None

    def significance(self, e: EffectRow) -> str:
        """"nominal", "adjusted" (survives the adjustment), or "none"."""
        p, p_adj = e.p_value, e.p_value_adj
        if p is None or p >= ALPHA:
            return "none"
        if self.adjust == "none" or p_adj is None or p_adj < ALPHA:
            return "adjusted"
        return "nominal"

    def diff(self, e: EffectRow) -> str:
        est = self.fmt.signed(e.estimate)
        return self._("unit.pp_long", value=est) if e.unit == "pp" else est

    def ci(self, e: EffectRow) -> str:
        return self._("ci", low=self.fmt.number(e.ci_low), high=self.fmt.number(e.ci_high))

    def effect(self, e: EffectRow) -> str:
        """"<label>: 12,3 % ... mod 10,3 % ...: +2,0 procentpoint (95 %-KI: 0,4 til 3,6). <significance>"."""
        label = self.labels.outcome(e.outcome)
        if self.hidden(e):
            return self._("finding.suppressed", label=label, m=self.min_cell)
        pp = e.unit == "pp"
        key = "finding.binary" if pp else "finding.level"
        mean = self.fmt.percent if pp else self.fmt.number
        text = self._(key, label=label, treated=mean(e.mean_treated), control=mean(e.mean_control),
                      diff=self.diff(e), ci=self.ci(e))
        return text + " " + self.significance_sentence(e)

    def significance_sentence(self, e: EffectRow) -> str:
        sig = self.significance(e)
        p = self.fmt.p_expr(e.p_value)
        p_adj = self.fmt.p_expr(e.p_value_adj)
        method = self.labels.code("adjust", self.adjust)
        if sig == "adjusted":
            return (self._("sig.yes_adjusted", p=p, p_adj=p_adj, method=method) if self.adjust != "none"
                    else self._("sig.yes", p=p))
        if sig == "nominal":
            return self._("sig.nominal_only", p=p, p_adj=p_adj, method=method)
        return self._("sig.no", p=p)

    def conclusions(self, effects: list[EffectRow]) -> list[str]:
        """Conclusions grouped by the direction and strength of the evidence."""
        groups: dict[str, list[str]] = {"up": [], "down": [], "nominal": [], "none": []}
        for e in effects:
            if self.hidden(e):
                continue
            sig = self.significance(e)
            # the outcome's label is quoted whole: it is a name, not a phrase to bend into the sentence
            label = self._("word.quote", text=self.labels.outcome(e.outcome))
            if sig == "adjusted":
                # one whole sentence per clear effect, with its size; "share" only for percentage points
                key = ("conclusion.up" if e.estimate > 0 else "conclusion.down") + ("_share" if e.unit == "pp" else "")
                groups["up" if e.estimate > 0 else "down"].append(
                    self._(key, label=label, diff=self.diff(e), ci=self.ci(e)))
            else:
                groups[sig].append(label)
        out = groups["up"] + groups["down"]
        for key in ("nominal", "none"):
            if groups[key]:
                n = "one" if len(groups[key]) == 1 else "other"
                out.append(self._(f"conclusion.{key}.{n}", outcomes=self.join(groups[key])))
        if not groups["up"] and not groups["down"]:
            out.append(self._("conclusion.no_clear_effect"))
        out.append(self._("conclusion.caveat"))
        return out

    def join(self, items: list[str], word: str = "and") -> str:
        """``a, b and c`` (or ``a, b or c`` with ``word="or"``) in the report's language."""
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + " " + self._(f"word.{word}") + " " + items[-1]

    def change(self, mid: EffectRow, fin: EffectRow) -> str:
        """What changed for one outcome between the midterm and the final evaluation."""
        label = self.labels.outcome(fin.outcome)
        if self.hidden(mid) or self.hidden(fin):
            return self._("compare.suppressed", label=label)
        s_mid, s_fin = self.significance(mid), self.significance(fin)
        base = self._("compare.moved", label=label, mid=self.diff(mid), fin=self.diff(fin))
        same_sign = (mid.estimate > 0) == (fin.estimate > 0)
        if s_mid == "adjusted" and s_fin == "adjusted":
            tail = self._("compare.still_sig")
        elif s_fin == "adjusted":
            tail = self._("compare.now_sig")
        elif s_mid == "adjusted":
            tail = self._("compare.no_longer_sig")
        else:
            tail = self._("compare.never_sig")
        if not same_sign:
            tail += " " + self._("compare.sign_flip")
        return base + " " + tail
