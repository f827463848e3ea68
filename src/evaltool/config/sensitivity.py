"""The ``sensitivity:`` config section: it *is* a :class:`~evaltool.specs.sensitivity.SensitivitySpec`
(every key, bound and cross-field rule is the spec's) with the study's defaults, plus the named
placebo outcomes; :meth:`SensitivitySection.spec` builds the spec ``evaltool run`` runs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

from pydantic import Field, model_validator

from evaltool.exceptions import EvaltoolError
from evaltool.specs.sensitivity import ClusterSpec, PlaceboSpec, SensitivitySpec

__all__ = ["SensitivitySection"]


class SensitivitySection(SensitivitySpec):
    """The ``sensitivity:`` section: every key of :class:`~evaltool.specs.sensitivity.SensitivitySpec`
    (whose rules it inherits) with study defaults, plus ``placebo_outcomes``; :meth:`spec` builds the spec.

    Defaults: Rosenbaum bounds, E-values and pre-period placebos of every register outcome;
    ``cluster: auto`` clusters by housing area when the persons have an ``area`` column
    (``none`` turns it off, ``{by: ..., ...}`` chooses); no specification curve unless asked for.
    """

    placebo: PlaceboSpec = PlaceboSpec(pre_period=True)
    """Placebo analyses; in a config the pre-period placebos are on by default."""
    cluster: ClusterSpec | Literal["auto", "none"] = "auto"
    """Clustered inference: `auto` (by `area` when the persons have that column), `none`, or `{by: ..., ...}`."""
    placebo_outcomes: list[str] = Field(default_factory=list)
    """Names of `outcomes` to treat as placebos (negative controls) rather than effects."""

    @model_validator(mode="after")
    def _run_supports(self) -> "SensitivitySection":
        if self.placebo.placebo_start_shift_weeks is not None:
            raise EvaltoolError("a placebo start date is not implemented yet in `evaltool run` (it needs the "
                                "whole study re-run with shifted starts; see evaltool.sensitivity.placebo_start); "
                                "remove the key", key="placebo.placebo_start_shift_weeks")
        if self.placebo.outcomes:
            raise EvaltoolError("in a config, name placebo outcomes in `sensitivity.placebo_outcomes` or mark "
                                "them `placebo: true` under `outcomes`; remove `placebo.outcomes`",
                                key="placebo.outcomes")
        return self

    def spec(self, columns: Collection[str] = (), placebo_outcomes: Sequence[str] = (),
             has_register_outcomes: bool = True) -> SensitivitySpec:
        """The :class:`SensitivitySpec` to run: ``cluster: auto`` resolved against the persons' ``columns``,
        named placebo outcomes filled in, pre-period placebos dropped when no outcome comes from the register."""
        cluster = self.cluster
        if cluster == "auto":
            cluster = ClusterSpec(by="area") if "area" in columns else None
        elif cluster == "none":
            cluster = None
        placebo = self.placebo.model_copy(update={
            "pre_period": self.placebo.pre_period and has_register_outcomes,
            "outcomes": tuple(dict.fromkeys([*self.placebo_outcomes, *placebo_outcomes]))})
        fields = {k: getattr(self, k) for k in SensitivitySpec.model_fields}
        return SensitivitySpec(**{**fields, "cluster": cluster, "placebo": placebo})
