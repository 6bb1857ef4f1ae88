"""Money, numbers and dates per language (Babel, from Decimal), and the page counter's CSS."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from models import Money
from navigation.constants import read_table as navigation_table
from reports.formatting import Formatter, css_string, page_counter_content
from reports.i18n import Language
from reports.rendering import OutputFormat, codes, names
from reports.vocabulary import industry_name
from valuation.income import royalty_industries

ZH, EN = Formatter(Language.ZH), Formatter(Language.EN)


def test_money_per_language_from_decimal() -> None:
    assert ZH.money(Money.of("1234567.89")) == "¥1,234,567.89"
    assert EN.money(Money.of("1234567.89")) == "CN¥1,234,567.89"
    assert ZH.money(Decimal("0.125")) == "¥0.12"  # half-even, as Money rounds
    assert ZH.money(None) == "—"


@pytest.mark.parametrize(
    ("amount", "headline"),
    [
        ("9999", "¥9,999.00"),
        ("2227892.34", "¥2,227,892.34（222.79万元）"),
        ("123456789.12", "¥123,456,789.12（1.23亿元）"),
        ("986000000000", "¥986,000,000,000.00（9860亿元）"),
    ],
)
def test_chinese_headlines_add_wan_and_yi_yuan(amount: str, headline: str) -> None:
    assert ZH.headline_money(Money.of(amount)) == headline


def test_english_headlines_are_plain_money() -> None:
    assert EN.headline_money(Money.of("2227892.34")) == "CN¥2,227,892.34"
    assert ZH.headline_money(None) == "—"


def test_dates_numbers_and_percentages() -> None:
    day = date(2025, 6, 30)
    assert ZH.date(day) == "2025年6月30日"
    assert EN.date(day) == "June 30, 2025"
    assert ZH.month(day) == "2025年6月"
    assert EN.month(day) == "Jun 2025"
    assert ZH.percent(Decimal("0.3942548")) == "39.43%"
    assert EN.years(Decimal("12.0548")) == "12.05 years"
    assert ZH.years(Decimal("12.0548")) == "12.05 年"
    assert ZH.whole(1234) == "1,234"
    assert ZH.step(Decimal("0.6027378507871321")) == "0.602738"
    assert ZH.step("CNY 1.00") == "CNY 1.00"
    assert ZH.colon("委托人") == "委托人："
    assert EN.colon("Client") == "Client: "
    assert (ZH.date(None), ZH.percent(None), ZH.number(None), ZH.years(None)) == ("—",) * 4


def test_axis_ticks_are_compact() -> None:
    assert ZH.axis_money(2_000_000.0) == "200万"
    assert EN.axis_money(2_000_000.0) == "2M"


def test_lists_and_codes_follow_the_language() -> None:
    assert names(Language.ZH, ["甲", "乙", "丙"]) == "甲、乙和丙"
    assert names(Language.EN, ["A", "B"]) == "A and B"
    assert names(Language.EN, []) == "—"
    assert codes(Language.ZH, ["CN", "US", "EP"]) == "CN、US、EP"
    assert codes(Language.EN, ["CN", "US"]) == "CN, US"
    assert codes(Language.EN, []) == "—"


def test_the_page_counter_is_css_built_from_the_catalog() -> None:
    assert page_counter_content(Language.ZH) == (
        '"第 " counter(page) " 页 共 " counter(pages) " 页"'
    )
    assert page_counter_content(Language.EN) == '"Page " counter(page) " of " counter(pages)'
    assert css_string('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c d"'


def test_the_output_format_follows_the_suffix() -> None:
    assert OutputFormat.of(Path("r.PDF")) is OutputFormat.PDF
    assert OutputFormat.of(Path("r.html")) is OutputFormat.HTML
    with pytest.raises(ValueError, match=r"expected a \.pdf or \.html file"):
        OutputFormat.of(Path("r.docx"))


def test_industry_names_come_from_the_sector_and_royalty_tables() -> None:
    """navigation/data/sectors.csv names the city's sectors in both languages, and the royalty
    bands (valuation/data/royalty_bands.csv) the engine's industries: every key has a name."""
    for key in (*(r["sector"] for r in navigation_table("sectors")), *royalty_industries()):
        assert industry_name(Language.ZH, key) != key, key
        assert "_" not in industry_name(Language.EN, key), key
    assert industry_name(Language.ZH, "electromechanical") == "机电"
    assert industry_name(Language.EN, "new_energy_vehicles") == "new-energy vehicles"
    assert industry_name(Language.ZH, "machinery") == "机械制造"
    assert industry_name(Language.EN, "machinery") == "machinery manufacturing"
    assert industry_name(Language.EN, "optics_electronics") == "optics and electronics"
    assert industry_name(Language.EN, "new_energy_vehicles") == "new-energy vehicles"
    assert industry_name(Language.ZH, "unclassified") == "未分类"
    assert industry_name(Language.ZH, "no_such_industry") == "no_such_industry"
