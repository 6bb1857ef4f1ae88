"""The eligibility certificate: verdicts, reasons and fixes from the pledge catalogue, in both
languages, and indicative loan amounts equal to the pre-check's."""

from datetime import date
from pathlib import Path

import pytest

from models import Money
from pledge.eligibility import check_portfolio
from pledge.policy import PatentValuation
from pledge.proposal import ProposedLoan
from reports.eligibility import EligibilityCertificate, check_eligibility, render_certificate
from reports.formatting import Formatter
from reports.i18n import Language
from reports.patent_rows import PatentRow
from reports.rendering import html_to_pdf
from tests.reports.conftest import (
    BASE,
    OWNER,
    make_financials,
    make_patent,
    needs_poppler,
    page_count,
    pdf_text,
    png_pages,
    squeeze,
)


def rows() -> list[PatentRow]:
    good = make_patent(fees_paid_through_year=8)
    lapsed = make_patent(serial=601863, legal_status="lapsed", title="已终止的专利")
    appraised = make_patent(serial=601864, fees_paid_through_year=8, title="已评估的专利")
    valuation = PatentValuation(
        patent_number=appraised.number.patent_number,
        patent_type=appraised.patent_type,
        base_date=date(2025, 3, 1),
        value=Money.of("800000"),
    )
    return [
        PatentRow(1, good, make_financials()),
        PatentRow(2, lapsed, make_financials()),
        PatentRow(3, appraised, make_financials(), valuation),
    ]


LOAN = ProposedLoan(amount=Money.of("300000"), term_months=24, pledgor=OWNER)


@pytest.fixture(scope="module")
def certificate() -> EligibilityCertificate:
    return check_eligibility(rows(), LOAN, BASE)


def test_verdicts_and_amounts_are_the_pre_checks(certificate: EligibilityCertificate) -> None:
    verdicts = [p.result.eligible for p in certificate.patents]
    assert verdicts == [True, False, True]
    assert [p.valued_by_engine for p in certificate.patents] == [True, True, False]
    lapsed = certificate.patents[1].result
    assert lapsed.indicative_max_loan == Money.zero()
    valuations = [p.valuation for p in certificate.patents if p.valuation is not None]
    again = check_portfolio([r.patent for r in rows()], LOAN, BASE, valuations=valuations)
    assert again.indicative_max_loan == certificate.portfolio.indicative_max_loan
    assert certificate.number.startswith("PC-20250630-")
    assert not certificate.portfolio.eligible  # the lapsed patent is in the list
    assert certificate.any_valued_by_engine
    assert certificate.blocking == ()


@needs_poppler
@pytest.mark.parametrize("language", list(Language))
def test_the_certificate_prints_reasons_and_fixes(
    certificate: EligibilityCertificate, language: Language, tmp_path: Path
) -> None:
    html = render_certificate(certificate, language)
    path = tmp_path / f"certificate-{language}.pdf"
    path.write_bytes(html_to_pdf(html))
    text = pdf_text(path)
    lapsed = certificate.patents[1].result.findings[0]
    message = lapsed.message_zh if language is Language.ZH else lapsed.message_en
    fix = lapsed.fix_zh if language is Language.ZH else lapsed.fix_en
    assert squeeze(message) in text
    assert squeeze(fix) in text
    fmt = Formatter(language)
    for check in certificate.patents:
        assert squeeze(fmt.money(check.result.indicative_max_loan)) in text
    assert squeeze(fmt.headline_money(certificate.portfolio.indicative_max_loan)) in text
    verdict = {
        Language.ZH: "按现有条件，上述专利不能为拟申请借款提供质押担保。",
        Language.EN: "The patents cannot secure the proposed loan as it stands.",
    }
    assert squeeze(verdict[language]) in text
    assert certificate.number in text
    assert len(png_pages(path, tmp_path)) == page_count(path)


def test_a_clean_list_can_secure_the_loan() -> None:
    good = make_patent(fees_paid_through_year=8)
    certificate = check_eligibility([PatentRow(1, good, make_financials())], LOAN, BASE)
    assert certificate.portfolio.eligible
    html = render_certificate(certificate, Language.EN)
    assert "The patents can secure the proposed loan." in html
    assert "No finding: nothing stands in the way of pledging this patent." in html
    assert "Pledge contract (terms not given)" in html
    big = ProposedLoan(amount=Money.of("90000000"), term_months=24, pledgor=OWNER)
    refused = check_eligibility(
        [PatentRow(1, good, make_financials())], big, BASE, number="PC-TEST"
    )
    assert refused.number == "PC-TEST"
    assert [f.code.value for f in refused.blocking] == ["LTV_EXCEEDS_POLICY"]
    assert "LTV_EXCEEDS_POLICY" in render_certificate(refused, Language.ZH).replace("<wbr>", "")


def test_finding_codes_break_only_after_an_underscore(
    certificate: EligibilityCertificate,
) -> None:
    html = render_certificate(certificate, Language.EN)
    assert "PATENT_<wbr>NOT_<wbr>IN_<wbr>FORCE" in html
    codes = {f.code.value for p in certificate.portfolio.patents for f in p.findings}
    assert codes
    for code in codes:
        assert code not in html  # each is written with its break opportunities
