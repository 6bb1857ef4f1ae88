"""The pages' forms at the edge: digits of other scripts, full-width digits, tiny percentages and
days outside the service's range are shown as field errors (422), never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_pages import FORM_ID, browser, csrf_of, errors, sign_in
from tests.api.world import AS_OF, World

__all__ = ["browser"]  # the fixture, used by name


def _appraisal_form(browser: TestClient, world: World) -> dict[str, str]:
    sign_in(browser, world.keys["bank-a"])
    form = browser.get("/bank/appraisals/new?lang=en")
    form_id = FORM_ID.search(form.text)
    assert form_id is not None
    return {
        "csrf_token": csrf_of(form),
        "form_id": form_id.group(1),
        "patent_number": world.records["a"]["patent"],
        "base_date": AS_OF.isoformat(),
        "revenue": "40000000",
        "royalty_rate": "3.5",
    }


def test_a_superscript_or_foreign_digit_is_a_field_error(
    browser: TestClient, own_world: World
) -> None:
    data = _appraisal_form(browser, own_world)
    for life in ("²", "١٠"):
        bad = browser.post("/bank/appraisals?lang=en", data={**data, "economic_life": life})
        assert bad.status_code == 422
        assert errors(bad) == {"economic_life": "Give a whole number from 1 to 30."}
    money = browser.post("/bank/appraisals?lang=en", data={**data, "revenue": "١٠٠"})
    assert money.status_code == 422
    assert set(errors(money)) == {"revenue"}


def test_full_width_digits_are_read_as_ascii(browser: TestClient, own_world: World) -> None:
    data = _appraisal_form(browser, own_world)
    sent = {**data, "economic_life": "１０", "royalty_rate": "３．５％", "revenue": "４００００"}
    made = browser.post("/bank/appraisals", data=sent, follow_redirects=False)
    assert made.status_code == 303, errors(made)


def test_a_tiny_percentage_is_sent_as_plain_decimal_text(
    browser: TestClient, own_world: World
) -> None:
    data = _appraisal_form(browser, own_world)
    made = browser.post(
        "/bank/appraisals", data={**data, "royalty_rate": "0.0000001"}, follow_redirects=False
    )
    assert made.status_code == 303, errors(made)
    finer = browser.post(
        "/bank/appraisals?lang=en",
        data={**data, "form_id": "finer", "royalty_rate": "0.00000000000001"},
    )
    assert finer.status_code == 422
    message = errors(finer)["royalty_rate"]
    assert "is not a plain decimal number" in message
    assert "^" not in message


def test_a_superscript_term_on_the_eligibility_form_is_a_field_error(
    browser: TestClient, own_world: World
) -> None:
    sign_in(browser, own_world.keys["ent-a"])
    token = csrf_of(browser.get("/enterprise?lang=en"))
    data = {
        "csrf_token": token,
        "patents": own_world.records["a"]["patent"],
        "amount": "1000",
        "term_months": "²",
    }
    bad = browser.post("/enterprise/eligibility?lang=en", data=data)
    assert bad.status_code == 422
    assert errors(bad) == {"term_months": "Give a whole number from 1 to 360."}


def test_a_day_outside_the_range_is_a_field_error_on_every_page(
    browser: TestClient, own_world: World
) -> None:
    sign_in(browser, own_world.keys["regulator"])
    for path in ("/regulator", "/regulator/statement", "/navigation", "/navigation/download"):
        for day in ("0001-01-01", "9999-12-31"):
            response = browser.get(f"{path}?as_of={day}&lang=en")
            assert response.status_code == 422, (path, day, response.status_code)
            assert "outside the days accepted, 1900-01-01 to 2999-12-31" in response.text
