"""The typed ``results.json``: one frozen record per block (:mod:`evaltool.results.schema`).

Stages build their blocks; the study writes them; reports and disclosure control read them.
It sits between the analysis stages and ``report/`` so that both the orchestrator
(``study/``) and the report can use it without importing each other backwards.
"""

from evaltool.results.schema import SCHEMA_VERSION, ResultsDocument, dumps_json

__all__ = ["SCHEMA_VERSION", "ResultsDocument", "dumps_json"]
