"""Process analyses: target-group mapping, citizen journeys, case duration, contact-log measures, cost.

Each analysis has a spec (:mod:`evaltool.process.spec`, one config section each) and a pure
function returning a frozen result whose ``to_dict()`` is its ``results.json`` block:

=================  ======================  ============================================
section            spec                    function
=================  ======================  ============================================
``mapping``        :class:`MappingSpec`       :func:`run_mapping`
``journeys``       :class:`JourneySpec`       :func:`run_journeys` (``registers.journeys``)
``case_duration``  :class:`CaseDurationSpec`  :func:`run_case_duration`
``contacts``       :class:`ContactsSpec`      :func:`run_process` (the ``process`` block)
``cost``           :class:`CostSpec`          :func:`run_cost`
=================  ======================  ============================================

See ``docs/process.md``.
"""

from evaltool.process.contacts import ProcessResult, process_measures, run_process
from evaltool.process.cost import CostResult, cost_per_additional, run_cost
from evaltool.process.duration import CaseDurationResult, restricted_mean, run_case_duration
from evaltool.process.mapping import MappingResult, run_mapping
from evaltool.process.result import ProcessStageResult
from evaltool.process.spec import (DEFAULT_STATES, CaseDurationSpec, ContactColumns, ContactsSpec, CostSpec,
                                   EntitlementSpec, JourneySpec, MappingSpec)
from evaltool.registers.journeys import JourneyResult
from evaltool.registers.journeys import journeys as run_journeys

__all__ = ["DEFAULT_STATES", "CaseDurationSpec", "ContactColumns", "ContactsSpec", "CostSpec", "EntitlementSpec",
           "JourneySpec", "MappingSpec", "run_mapping", "MappingResult", "run_journeys", "JourneyResult",
           "run_case_duration", "CaseDurationResult", "restricted_mean", "run_process", "process_measures",
           "ProcessResult", "run_cost", "cost_per_additional", "CostResult", "ProcessStageResult"]
