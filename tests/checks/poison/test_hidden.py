"""Hidden characters: what changes what a model reads, and the scripts and emoji that need them."""

from __future__ import annotations

import pytest

from tests.checks.poison.helpers import flagged

KIND = "expect_column_values_to_not_contain_hidden_characters"

HIDDEN = [
    ("Hello\u200bworld", "zero_width", "U+200B"),
    ("refund\u200dnow", "zero_width", "U+200D"),
    ("😀\u200d\u200dx", "zero_width", "U+200D"),            # a second ZWJ after an emoji
    ("abc\u202edcba", "bidi_override", "U+202E"),
    ("plain \u202bnot rtl\u202c", "bidi_embedding", "U+202B"),
    ("مرحبا \u2067نص", "bidi_embedding", "U+2067"),          # RTL text, isolate never closed
    ("Latin text \u200f mark", "bidi_mark", "U+200F"),
    ("ok \U000E0049\U000E0067\U000E006E\U000E006F", "tag_characters", "U+E0049"),
    ("icon \ue000 here", "private_use", "U+E000"),
    ("😀\U000E0100\U000E0101\U000E0102", "variation_selectors", "U+E0100"),
    ("a\ufe0f\ufe0f\ufe0fb", "variation_selectors", "U+FE0F"),
    ("name\u3164here", "invisible_filler", "U+3164"),
    ("mid\ufefftext", "zero_width", "U+FEFF"),
]
LEGITIMATE = [
    "می‌خواهم این سفارش را برگردانم",             # Persian ZWNJ
    "کتاب‌ها رسیدند، ممنون",
    "👨‍👩‍👧‍👦 family trip, great hotel",               # ZWJ family
    "👩🏽‍💻 works from home",
    "🏳️‍🌈 and 🏴‍☠️ stickers",
    "🏴󠁧󠁢󠁥󠁮󠁧󠁿 England fan",                            # tag characters of a flag
    "שלום \u200fעולם 123",                         # RLM in Hebrew
    "مرحبا \u202bنص\u202c والسلام",                 # balanced embedding in Arabic
    "\ufeffHello there",                            # a byte order mark that opens the text
    "❤️ love it 1️⃣",                               # one variation selector
    "葛\U000E0100城市",                              # ideographic variation selector
    "नमस्‍ते",                                       # Devanagari ZWJ
    "ما\u200cشاء الله",
]


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[str]]:
    return flagged(KIND, [t for t, _, _ in HIDDEN] + LEGITIMATE)


@pytest.mark.parametrize(("text", "rule", "code"), HIDDEN, ids=[r for _, r, _ in HIDDEN])
def test_hidden_character_is_flagged_and_named(verdicts: dict[str, list[str]], text: str,
                                               rule: str, code: str) -> None:
    assert text in verdicts, ascii(text)
    reason = next(r for r in verdicts[text] if r.startswith(rule + ":"))
    assert code in reason


@pytest.mark.parametrize("text", LEGITIMATE, ids=range(len(LEGITIMATE)))
def test_legitimate_use_is_not_flagged(verdicts: dict[str, list[str]], text: str) -> None:
    assert text not in verdicts, (ascii(text), verdicts.get(text))
