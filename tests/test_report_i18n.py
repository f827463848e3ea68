"""Report texts and number formatting in Danish and English."""

from __future__ import annotations

import pytest

from evaltool.exceptions import ReportError
from evaltool.report.formatting import NumberFormat
from evaltool.report.i18n import LANGUAGES, Translator, catalogue, placeholders


def test_catalogues_have_the_same_ids_and_placeholders():
    da, en = catalogue("da"), catalogue("en")
    assert set(da) == set(en)
    for key in da:
        assert placeholders(da[key]) == placeholders(en[key]), key


@pytest.mark.parametrize("lang, expected", [
    ("da", ("12,3 %", "1.234", "+2,0", "\u22120,2", "0,014", "< 0,001", "41,0 %")),
    ("en", ("12.3%", "1,234", "+2.0", "\u22120.2", "0.014", "< 0.001", "41.0%")),
])
def test_number_format(lang, expected):
    f = NumberFormat(lang)
    got = (f.percent(12.3), f.count(1234), f.signed(2.0), f.signed(-0.2), f.p_value(0.01428),
           f.p_value(0.00001), f.share(0.41))
    assert got == expected


def test_missing_and_negative_zero():
    f = NumberFormat("da")
    assert f.number(None) == "\u2013" and f.percent(float("nan")) == "\u2013"
    assert f.number(-0.04) == "0,0" and f.signed(0.0) == "\u00b10,0"


def test_translator_fills_and_fails_clearly():
    assert Translator("da")("unit.pp_long", value="+2,0") == "+2,0 procentpoint"
    assert Translator("en")("ci", low="0.4", high="3.6") == "0.4 to 3.6"
    with pytest.raises(ReportError, match="missing from locale/en.yaml"):
        Translator("en")("no.such.text")
    with pytest.raises(ReportError, match="needs a value"):
        Translator("en")("ci", low="1")
    with pytest.raises(ReportError, match="'da', 'en'"):
        Translator("de")
    assert LANGUAGES == ("da", "en")
