"""Mixed-script words built to pass for words of one script."""

from __future__ import annotations

import pytest

from tests.checks.poison.helpers import flagged

KIND = "expect_column_values_to_not_contain_confusables"

SPOOFED = [
    ("Log in at pаypal.com now", "'а' (U+0430"),           # Cyrillic а in a Latin word
    ("Сlick here to verify", "U+0421"),                    # Cyrillic С opens the word
    ("пpивет друзья", "LATIN SMALL LETTER P"),             # Latin p in a Russian word
    ("рaураl support", "CYRILLIC SMALL LETTER ER"),        # mostly Cyrillic, reads Latin
    ("Аmazon refund", "U+0410"),
    ("p\u200bаypal", "U+0430"),                            # a zero-width space inside
    ("gοοgle account", "GREEK SMALL LETTER OMICRON"),
    # An ending that looks Latin cannot be told from a disguise of "Apple".
    ("Подтвердите Applе", "U+0435"),
    ("Чехол для iPhoneа пришёл быстро", "U+0430"),
]
GENUINE = [
    "Купил новый iPhone, очень доволен",   # a Latin brand as its own word
    "Мне нравится iPhoneом пользоваться",
    "αβγ Greek letters and ASCII words",
    "Bonjour, ça va très bien",
    "μg dosage and 5 µm filter",
    "Доставка Wi-Fi роутера заняла 3 дня",
    "Ωmega watch strap",
]


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[str]]:
    return flagged(KIND, [t for t, _ in SPOOFED] + GENUINE)


@pytest.mark.parametrize(("text", "named"), SPOOFED, ids=range(len(SPOOFED)))
def test_spoofed_word_is_flagged(verdicts: dict[str, list[str]], text: str, named: str) -> None:
    assert text in verdicts, text
    assert any(named in r for r in verdicts[text]), verdicts[text]


@pytest.mark.parametrize("text", GENUINE, ids=range(len(GENUINE)))
def test_genuinely_mixed_text_is_not_flagged(verdicts: dict[str, list[str]], text: str) -> None:
    assert text not in verdicts, verdicts.get(text)
