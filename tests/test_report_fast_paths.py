"""Fast paths of report rendering and the folder gate give the same answers as the plain code they replace.

Each test compares a fast path with the straightforward oracle (written out here, as the code was before it
was made fast) on many inputs, including the edge cases the fast path has to get right.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import fields, replace
from importlib import resources
from pathlib import Path

import pytest
import yaml
from babel import Locale
from babel.numbers import format_decimal, format_percent
from pydantic import BaseModel

from evaltool.exceptions import ReportError
from evaltool.report.context import _refuse_ids, _refuse_record_ids
from evaltool.report.disclosure import DisclosureRules, _Controller
from evaltool.report.disclosure_sizes import SizeIndex
from evaltool.report.formatting import MINUS, NumberFormat
from evaltool.report.gate import control_document
from evaltool.report.i18n import LANGUAGES, catalogue
from evaltool.results._record import Record
from evaltool.results.schema import ResultsDocument

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "results_example.json"


def _near_oracle(c: _Controller, sizes: list, v) -> bool:
    return any(c.small(abs(v - k)) for k in sizes)


@pytest.mark.parametrize("m", [5, 10, 11])
def test_size_index_equals_the_scan_over_every_size(m: int) -> None:
    c = _Controller(DisclosureRules(min_cell=m), "")
    rng = random.Random(m)
    specials = [0, 0.0, 1, m - 1, m, m + 1, 1e6, 1e6 + 0.5, -3, math.nan, 2.5, 1e15, 1e15 + m - 1]
    for trial in range(300):
        sizes = [rng.choice([rng.randint(0, 60), rng.uniform(0, 60), rng.choice(specials)])
                 for _ in range(rng.randint(0, 30))]
        sizes += rng.sample(sizes, min(len(sizes), 5))  # repeated sizes
        index = SizeIndex(c, sizes[: len(sizes) // 2])
        for v in sizes[len(sizes) // 2:]:
            index.add(v)
        for v in [rng.randint(-5, 70) for _ in range(20)] + [rng.uniform(-5, 70) for _ in range(5)] + specials:
            assert index.near(v) == _near_oracle(c, sizes, v), (sizes, v)


def test_size_index_finds_a_clash_and_ignores_equal_and_distant_sizes() -> None:
    c = _Controller(DisclosureRules(min_cell=5), "")
    index = SizeIndex(c, [100, 100, 250])
    assert index.near(104) and index.near(96) and index.near(100.5) and index.near(246)
    assert not index.near(100) and not index.near(105) and not index.near(95) and not index.near(175)
    assert not index.near(math.nan)
    index.add(110)
    assert index.near(106) and index.sizes == [100, 110, 250]


# -- the person-id check of a typed results document (report.context.as_document) -----------------------------

def _with_key(value, target: int, key: str, seen: list[int]):
    """``value`` with ``key: 1`` added to its ``target``-th dict (fields of records, records' disclosure marks and
    dicts in lists, in document order); ``seen[0]`` counts the dicts passed."""
    if isinstance(value, Record):
        changes = {}
        for f in fields(value):
            v = getattr(value, f.name)
            new = _with_key(v, target, key, seen)
            if new is not v:
                changes[f.name] = new
        return replace(value, **changes) if changes else value
    if isinstance(value, tuple):
        items = [_with_key(v, target, key, seen) for v in value]
        return tuple(items) if any(a is not b for a, b in zip(items, value)) else value
    if isinstance(value, dict):
        seen[0] += 1
        if seen[0] == target:
            return {**value, key: 1}
        items = {k: _with_key(v, target, key, seen) for k, v in value.items()}
        return items if any(items[k] is not value[k] for k in value) else value
    return value


def _message(check, *args) -> str | None:
    try:
        check(*args)
    except ReportError as exc:
        return str(exc)
    return None


def test_typed_id_check_equals_the_check_of_the_written_dict() -> None:
    doc = ResultsDocument.read(FIXTURE)
    assert _message(_refuse_record_ids, doc, "results") is None
    n_dicts = [0]
    _with_key(doc, 0, "x", n_dicts)
    assert n_dicts[0] > 20  # config inputs, labels, group sizes, disclosure marks ...
    messages = set()
    # the first 40 dicts (config, inputs, labels, design) and every 100th after (row marks, group sizes)
    for target in sorted({*range(1, 41), *range(41, n_dicts[0] + 1, 100)}):
        for key in ("person_id", "label"):
            bad = _with_key(doc, target, key, [0])
            assert bad is not doc
            expected = _message(_refuse_ids, bad.to_dict(), "results")
            assert _message(_refuse_record_ids, bad, "results") == expected
            messages.add(expected)
    assert len(messages) > 10  # ids were found at many paths (and let through under inputs and labels)
    assert None in messages


# -- the message catalogues --------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_reads_as_the_pure_python_safe_loader_reads_it(language: str) -> None:
    text = resources.files("evaltool.report").joinpath("locale", f"{language}.yaml").read_text(encoding="utf-8")
    expected = {str(k): v.strip() for k, v in yaml.safe_load(text).items()}
    got = catalogue(language)
    assert got == expected and list(got) == list(expected)


# -- number formatting (formatted once per distinct value) ----------------------------------------------------

def _number_oracle(locale: str, x: float, decimals: int) -> str:
    x = round(float(x), decimals) + 0.0
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(x, format=pattern, locale=locale).replace("\xa0", " ").replace("-", MINUS)


def _percent_oracle(locale: str, x: float, decimals: int) -> str:
    pattern = Locale.parse(locale).percent_formats[None].pattern
    pattern = pattern.replace("#,##0", "#,##0" + ("." + "0" * decimals if decimals > 0 else ""), 1)
    x = round(float(x), decimals) + 0.0
    return format_percent(x / 100, format=pattern, locale=locale).replace("\xa0", " ").replace("-", MINUS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_cached_number_formatting_equals_babel(language: str) -> None:
    fmt = NumberFormat(language)
    rng = random.Random(7)
    values = [0, -0.0, -0.04, 0.05, 1, -1, 12.345, 1234.5, -98765.4321, 1e6, 2.5, 0.125, 3]
    values += [rng.uniform(-2000, 2000) for _ in range(200)] + [rng.randint(-10**7, 10**7) for _ in range(50)]
    for _round in range(2):  # the second round is served from the cache
        for x in values:
            for d in range(4):
                assert fmt.number(x, d) == _number_oracle(fmt.locale, x, d), (x, d)
                assert fmt.percent(x, d) == _percent_oracle(fmt.locale, x, d), (x, d)
    assert fmt.number(-0.04, 1) == ("0,0" if language == "da" else "0.0")  # no "−0,0"


# -- Record.to_dict (field layout worked out once per record type) ---------------------------------------------

def _to_dict_oracle(rec: Record) -> dict:
    def plain(value):
        if isinstance(value, Record):
            return _to_dict_oracle(value)
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json")
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    out = {rec._keys.get(f.name, f.name): plain(getattr(rec, f.name)) for f in rec._fields()
           if not (f.name in rec._only_when_set and getattr(rec, f.name) is None)}
    if rec.suppressed:
        out["_suppressed"] = dict(rec.suppressed)
    return out


def test_to_dict_equals_the_field_by_field_oracle() -> None:
    doc = ResultsDocument.read(FIXTURE)
    controlled, _log = control_document(doc, DisclosureRules(min_cell=5))  # with disclosure marks
    for d in (doc, controlled):
        got, expected = d.to_dict(), _to_dict_oracle(d)
        assert got == expected
        assert json.dumps(got, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)  # key order too
    assert "_suppressed" in json.dumps(controlled.to_dict())
