"""The base of every config section model: strict, frozen, documented by attribute docstrings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Section"]


class Section(BaseModel):
    """A config section: unknown keys are errors, values are frozen once validated.

    The attribute docstrings of a section's fields are the keys' meanings in the
    generated configuration reference (:mod:`evaltool.config.reference`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True)
