"""The SVG charts: round ticks, escaped labels, one shape per mark, and markers where asked."""

import itertools
import re
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports import charts
from reports.formatting import Formatter
from reports.i18n import Language

FORMATTER = Formatter(Language.ZH)


@given(
    st.floats(-1e9, 1e9, allow_nan=False),
    st.floats(0, 1e9, allow_nan=False),
    st.integers(2, 8),
)
def test_ticks_are_round_and_cover_the_range(low: float, width: float, count: int) -> None:
    ticks = charts.nice_ticks(low, low + width, count)
    tolerance = 1e-6 * max(1.0, abs(low), abs(low + width))  # far below a pixel
    assert ticks[0] <= low + tolerance
    assert ticks[-1] >= low + width - tolerance
    steps = np.diff(ticks)
    assert np.allclose(steps, steps[0])
    mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5, 10))


def test_count_ticks_are_whole_numbers() -> None:
    assert charts.nice_ticks(0, 2, 4, whole=True) == [0, 1, 2]
    assert charts.nice_ticks(0, float("inf")) == [0.0]


def test_the_distribution_has_its_markers_and_one_path_of_bars() -> None:
    draws = np.random.default_rng(1).lognormal(15, 0.3, 500)
    markers = [
        charts.Marker("P10", Decimal(str(np.percentile(draws, 10)))),
        charts.Marker("P50", Decimal(str(np.percentile(draws, 50))), strong=True),
        charts.Marker("P90", Decimal(str(np.percentile(draws, 90)))),
    ]
    svg = str(charts.distribution(draws, markers, formatter=FORMATTER, title="分布 <x>"))
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert all(f">{m}<" in svg for m in ("P10", "P50", "P90"))
    assert svg.count("<path") == 2  # the grid and the bars
    assert 'aria-label="分布 &lt;x&gt;"' in svg


def test_the_tornado_draws_two_bars_per_input_around_the_base() -> None:
    bars = [
        charts.SensitivityBar("K", "1% – 2%", Decimal(80), Decimal(120)),
        charts.SensitivityBar("r", "10% – 12%", Decimal(110), Decimal(95)),
    ]
    svg = str(charts.tornado(bars, Decimal(100), formatter=FORMATTER, title="t"))
    assert svg.count("<rect") == 4
    assert "¥100.00" in svg


def test_labels_are_escaped() -> None:
    evil = '<script>alert("x")</script>'
    svg = str(charts.bars([evil], [Decimal(5)], formatter=FORMATTER, title=evil))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    long = charts.bars(["甲" * 40], [Decimal(1)], formatter=FORMATTER, title="t")
    assert "…" in str(long)


def test_columns_with_a_count_line_and_a_legend() -> None:
    svg = str(
        charts.columns(
            ["2023", "2024"],
            [Decimal("1000000"), Decimal("2500000")],
            counts=[3, 7],
            formatter=FORMATTER,
            title="年",
            legend=("登记金额", "笔数"),
        )
    )
    assert svg.count("<circle") == 2
    assert "<polyline" in svg
    assert "登记金额" in svg
    heights = [
        float(h)
        for h in re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"', svg)
    ]
    assert heights[1] > heights[0] > 0


@pytest.mark.parametrize("values", [[], [Decimal(0)]])
def test_empty_or_zero_charts_still_draw(values: list[Decimal]) -> None:
    labels = ["a"] * len(values)
    assert str(charts.bars(labels, values, formatter=FORMATTER, title="t")).startswith("<svg")
    assert str(charts.columns(labels, values, formatter=FORMATTER, title="t")).startswith("<svg")


def _axis_labels(svg: str, labels: list[str]) -> list[tuple[float, str]]:
    """The x position and text of each written period label."""
    found = re.findall(r'<text x="([^"]+)" y="[^"]+"[^>]*>([^<]+)</text>', svg)
    return [(float(x), text) for x, text in found if text in labels]


@pytest.mark.parametrize(
    ("labels", "written"),
    [
        ([f"2019-{m:02d}" for m in range(1, 13)], 6),  # twelve months: every second one
        ([f"东部沿海地区合计{m:02d}" for m in range(1, 13)], 4),  # wider (CJK): every third one
        (["2023", "2024", "2025"], 3),  # room for all
    ],
)
def test_period_labels_never_overlap(labels: list[str], written: int) -> None:
    svg = str(
        charts.columns(
            labels, [Decimal(i + 1) for i in range(len(labels))], formatter=FORMATTER, title="t"
        )
    )
    shown = _axis_labels(svg, labels)
    assert [text for _, text in shown] == labels[:: len(labels) // written][:written]
    widest = max(sum(map(charts._char_width, label)) for label in labels)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(shown)]
    assert all(gap >= widest + charts.LABEL_GAP for gap in gaps)
