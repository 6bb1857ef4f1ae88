"""The statutory rule files are well formed: every row cites a known source."""

from models import rules


def test_every_rule_cites_a_known_source() -> None:
    known = rules.sources()
    cited = (
        [r.source_id for r in rules.term_rules()]
        + [r.source_id for r in rules.fee_rules()]
        + [r.source_id for r in rules.reduction_rules().values()]
        + [r.source_id for r in rules.surcharge_rules().values()]
    )
    assert cited
    assert set(cited) <= set(known)


def test_fee_bands_cover_each_term_without_gaps() -> None:
    for patent_type, last_year in (("invention", 20), ("utility_model", 10), ("design", 15)):
        years = sorted(
            year
            for rule in rules.fee_rules()
            if rule.patent_type == patent_type
            for year in range(rule.year_from, rule.year_to + 1)
        )
        assert years == list(range(1, last_year + 1)), patent_type


def test_grace_window_is_six_months() -> None:
    assert rules.grace_months() == 6
