"""Personal data: validated entities, and the numbers that are not personal data."""

from __future__ import annotations

import pytest

from integrity.errors import SuiteError
from integrity.suites import parse_suite
from tests.checks.poison.helpers import flagged, run

KIND = "expect_column_values_to_not_contain_pii"

FOUND = [
    ("Contact me at john.doe@example.com please", "email: j***@example.com"),
    ("mail: jane [at] example [dot] org", "email: j***@example.org"),
    ("ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "email:"),                    # fullwidth
    ("Call me on +49 30 12345678", "phone: +49"),
    ("my number is 030 12345678", "phone:"),
    ("ring me 0151 23456789 after six", "phone: +49"),
    ("Phone: (415) 555-2671", "phone: +1"),
    ("appelez-moi au 06 12 34 56 78", "phone:"),
    ("llámame al 612 34 56 78", "phone:"),
    ("call 0044 20 7946 0958", "phone: +44"),
    ("Card 4111 1111 1111 1111 was charged twice", "credit_card: Visa number ending 1111"),
    ("amex 3782-822463-10005", "credit_card: American Express"),
    ("IBAN DE89 3704 0044 0532 0130 00 for the refund", "iban: DE account ending 3000"),
    ("pay to GB82WEST12345698765432 thanks", "iban: GB"),
    ("server at 192.168.1.20 is down", "ip_address: IPv4 192.168.x.x"),
    ("from 2001:db8::ff00:42:8329", "ip_address: IPv6"),
]
NOT_PII = [
    "card 4111111111111112 was declined",              # fails Luhn
    "iban DE89370400440532013001 wrong",               # fails mod-97
    "Order 123456789 arrived late",
    "Bestellnummer 4711081523 fehlt",
    "order #4155552671 is missing",
    "commande n° 0612345678 en retard",
    "pedido 612345678 no llegó",
    "Paid 1.234.567 EUR on 12.05.2024",
    "Rechnung Nr. 2024-001234, Betrag 129,99 €",
    "Tracking 1Z999AA10123456784",
    "updated to version 10.2.1.5 yesterday",
    "meeting at 12:30:45 on 2024-05-01",
    "MAC 00:1a:2b:3c:4d:5e",
    "Invoice 20240115-0042 total $1,299.00",
    "I waited 45 minutes, 3 times, at 10:30",
    "support@ is not an address",
]


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[str]]:
    return flagged(KIND, [t for t, _ in FOUND] + NOT_PII)


@pytest.mark.parametrize(("text", "reason"), FOUND, ids=[r.split(":")[0] + str(i)
                                                         for i, (_, r) in enumerate(FOUND)])
def test_entity_is_found_and_masked(verdicts: dict[str, list[str]], text: str, reason: str) -> None:
    assert text in verdicts, text
    assert any(r.startswith(reason) for r in verdicts[text]), verdicts[text]
    # Details never repeat the full value.
    assert all("john.doe" not in r and "12345678" not in r and "4111 1111" not in r
               for r in verdicts[text])


@pytest.mark.parametrize("text", NOT_PII, ids=range(len(NOT_PII)))
def test_numbers_that_are_not_personal_data(verdicts: dict[str, list[str]], text: str) -> None:
    assert text not in verdicts, verdicts.get(text)


@pytest.mark.parametrize(("text", "reading"), [
    ("appelez-moi au 06 12 34 56 78", "+33 …678 (FR)"),
    ("llámame al 612 34 56 78", "+34 …678 (ES)"),
])
def test_a_national_number_names_every_plan_it_fits(verdicts: dict[str, list[str]], text: str,
                                                    reading: str) -> None:
    assert any(reading in r for r in verdicts[text]), verdicts[text]


def test_entities_select_what_is_looked_for() -> None:
    texts = ["john@example.com", "Call me on +49 30 12345678", "192.168.1.20 down"]
    result = run(KIND, texts, entities=["phone", "ip_address"])["result"]
    assert result["unexpected_index_list"] == [1, 2]


def test_regions_decide_how_national_numbers_read() -> None:
    texts = ["call me on 030 12345678"]
    assert run(KIND, texts, entities=["phone"], regions=["DE"])["success"] is False
    assert run(KIND, texts, entities=["phone"], regions=["JP"])["success"] is True


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"entities": ["email", "passport"]}, "unknown entity 'passport'"),
    ({"entities": ["emial"]}, "Did you mean 'email'?"),
    ({"entities": "email"}, "must be a list of entity names"),
    ({"entities": []}, "is empty"),
    ({"regions": ["XX"]}, "unknown phone region 'XX'"),
])
def test_bad_arguments_fail_at_load_and_list_valid_names(kwargs: dict[str, object],
                                                         message: str) -> None:
    with pytest.raises(SuiteError, match="argument '") as error:
        parse_suite({"name": "t", "expectations": [
            {"type": KIND, "kwargs": {"column": "text", **kwargs}}]})
    assert message in str(error.value)
    if "entit" in message or "emial" in str(kwargs):
        assert "email, phone, credit_card, iban, ip_address" in str(error.value)
