"""Process analyses: target-group mapping, citizen journeys, case duration, contact-log measures, cost.

Each analysis has a spec (:mod:`evaltool.process.spec`, one config section each) and a pure
function returning a frozen result whose ``to_dict()`` is its ``results.json`` block. See
``docs/process.md``.
"""

from evaltool.process.spec import (DEFAULT_STATES, CaseDurationSpec, ContactColumns, ContactsSpec, CostSpec,
                                   EntitlementSpec, JourneySpec, MappingSpec)

__all__ = ["DEFAULT_STATES", "CaseDurationSpec", "ContactColumns", "ContactsSpec", "CostSpec", "EntitlementSpec",
           "JourneySpec", "MappingSpec"]
