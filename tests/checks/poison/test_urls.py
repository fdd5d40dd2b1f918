"""Links outside the allowed domains, and the disguises links wear."""

from __future__ import annotations

import pytest

from integrity.errors import SuiteError
from integrity.suites import parse_suite
from tests.checks.poison.helpers import flagged

KIND = "expect_column_values_to_not_contain_urls_outside"
ALLOWED = ["example.com", "help.example.org"]

OUTSIDE = [
    ("Go to https://evil.test/login now", "link to 'evil.test'"),
    ("refund form: refund-portal.xyz/claim", "link to 'refund-portal.xyz'"),
    ("Check bit.ly/3xYz for the refund", "link shortener 'bit.ly'"),
    ("https://example.com@evil.test/reset", "disguised with user info"),
    ("http://192.168.0.1/admin", "raw IP address '192.168.0.1'"),
    ("http://3232235777/x", "raw IP address"),
    ("http://0xC0A80001/x", "raw IP address"),
    ("https://xn--pypal-4ve.com/login", "punycode host"),
    ("https://pаypal.com/login", "non-ASCII host"),
    ("click data:text/html;base64,PHNjcmlwdD4=", "data:text/html URI"),
    ("<a href='javascript:alert(1)'>x</a>", "javascript: URI runs code"),
    ("https://example.com.evil.test/", "link to 'example.com.evil.test'"),
    ("visit www.evil.test today", "link to 'www.evil.test'"),
    ("go to evil。test/x", "link to 'evil.test'"),
    ("see https://www.example.org/x", "link to 'www.example.org'"),
]
INSIDE = [
    "See https://help.example.com/refunds for details",
    "Our site www.example.com is great",
    "Visit https://www.example.com/a?b=c.",
    "https://ｅｘａｍｐｌｅ．ｃｏｍ/x",
    "docs at https://help.example.org/faq#returns",
    "email me at john@elsewhere.test",
    "e.g. version 2.0 works, see file.txt and readme",
    "I rate it 4.5/5, i.e. very good",
    "no links here at all",
]


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[str]]:
    return flagged(KIND, [t for t, _ in OUTSIDE] + INSIDE, allowed_domains=ALLOWED)


@pytest.mark.parametrize(("text", "reason"), OUTSIDE, ids=range(len(OUTSIDE)))
def test_link_outside_is_flagged_with_its_disguise(verdicts: dict[str, list[str]], text: str,
                                                  reason: str) -> None:
    assert text in verdicts, text
    assert any(reason in r for r in verdicts[text]), verdicts[text]


@pytest.mark.parametrize("text", INSIDE, ids=range(len(INSIDE)))
def test_allowed_links_and_non_links_pass(verdicts: dict[str, list[str]], text: str) -> None:
    assert text not in verdicts, verdicts.get(text)


def test_a_shortener_can_be_allowed_explicitly() -> None:
    assert flagged(KIND, ["see bit.ly/abc"], allowed_domains=["bit.ly"]) == {}


@pytest.mark.parametrize(("value", "message"), [
    ("example.com", "must be a list of domain names such as [\"example.com\"], got str"),
    (["https://example.com"], "is not a domain name"),
    ([""], "every entry must be a domain name"),
])
def test_bad_allowed_domains_fail_at_load(value: object, message: str) -> None:
    with pytest.raises(SuiteError, match="argument 'allowed_domains'") as error:
        parse_suite({"name": "t", "expectations": [
            {"type": KIND, "kwargs": {"column": "text", "allowed_domains": value}}]})
    assert message in str(error.value)
