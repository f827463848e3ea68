"""``SensitivitySpec`` lives in the kernel (:mod:`evaltool.specs.sensitivity`) so that the config
schema, which comes before this stage, can build it; re-exported here for the stage's users."""

from evaltool.specs.sensitivity import (ClusterSpec, GammaGrid, PlaceboSpec, SensitivitySpec, SpecCurveSpec,
                                        parse_spec)

__all__ = ["SensitivitySpec", "GammaGrid", "PlaceboSpec", "ClusterSpec", "SpecCurveSpec", "parse_spec"]
