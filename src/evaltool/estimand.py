"""The estimand as a value that travels through design, balance, effects and reports."""

from __future__ import annotations

from enum import Enum

from evaltool.exceptions import EvaltoolError

__all__ = ["Estimand"]


class Estimand(str, Enum):
    """Target population of a causal contrast.

    ``ATT``: average effect on the treated (outreach participants) — the default,
    as in MatchIt. ``ATC``: on the comparison pool. ``ATE``: on everyone.
    ``ATM``: on the matched sample, when a caliper or common-support rule dropped
    treated units so the ATT is no longer what is estimated. ``ATO``: overlap weights.

    ``ATE`` comes from weighting designs, AIPW and the matching methods that have it in
    MatchIt (``full``, ``subclass``, ``cem``; :class:`~evaltool.specs.MatchSpec` refuses it for
    the others); ``ATO`` from overlap weights only.

    Attributes
    ----------
    ATT, ATC, ATE, ATM, ATO : Estimand
        The members; :meth:`parse` reads them from text (any case) and names the valid
        values when the text is none of them.

    Examples
    --------
    >>> Estimand.parse("att")
    <Estimand.ATT: 'ATT'>
    >>> Estimand.ATT.focal_group, Estimand.ATC.focal_group
    (1, 0)
    >>> Estimand.parse("ATX")
    Traceback (most recent call last):
    ...
    evaltool.exceptions.EvaltoolError: `estimand` must be one of ATT, ATC, ATE, ATM, ATO; got 'ATX'
    """

    ATT = "ATT"
    ATC = "ATC"
    ATE = "ATE"
    ATM = "ATM"
    ATO = "ATO"

    @classmethod
    def parse(cls, value: "Estimand | str") -> "Estimand":
        if isinstance(value, Estimand):
            return value
        try:
            return cls(str(value).upper())
        except ValueError:
            allowed = ", ".join(e.value for e in cls)
            raise EvaltoolError(f"`estimand` must be one of {allowed}; got {value!r}") from None

    @property
    def focal_group(self) -> int | None:
        """1 if the estimand targets the treated, 0 the controls, None the whole sample."""
        if self in (Estimand.ATT, Estimand.ATM):
            return 1
        if self is Estimand.ATC:
            return 0
        return None

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value
