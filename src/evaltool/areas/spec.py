"""The area-level analysis spec lives in the kernel (:mod:`evaltool.specs.areas`) so that the config
section ``area_panel:`` (an earlier stage) can build it; re-exported here for the area stage."""

from evaltool.specs.areas import DEFAULT_METHODS, METHODS, AreaSpec

__all__ = ["AreaSpec", "METHODS", "DEFAULT_METHODS"]
