"""The process specs live in the kernel (:mod:`evaltool.specs.process`) so that ``config/`` can build
them; this module re-exports them under their historical path."""

from evaltool.specs.process import (DEFAULT_STATES, PERIOD_WEEKS, CaseDurationSpec, ContactColumns,  # noqa: F401
                                    ContactsSpec, CostSpec, EntitlementSpec, JourneySpec, MappingSpec)

__all__ = ["EntitlementSpec", "MappingSpec", "JourneySpec", "CaseDurationSpec", "ContactColumns",
           "ContactsSpec", "CostSpec", "DEFAULT_STATES", "PERIOD_WEEKS"]
