"""Normalisation: obfuscation folds away before any pattern is matched."""

from __future__ import annotations

import polars as pl
import pytest

from integrity.checks.poison.normalize import normalized, skeleton, split_letters


def skel(text: str) -> str:
    return str(pl.select(skeleton(pl.lit(text, dtype=pl.String))).item())


@pytest.mark.parametrize(("text", "expected"), [
    ("ｉｇｎｏｒｅ", "ignore"),                  # fullwidth (NFKC)
    ("𝐢𝐠𝐧𝐨𝐫𝐞", "ignore"),                       # mathematical bold (NFKC)
    ("іgnоrе", "ignore"),                       # Cyrillic і, о, е (confusables)
    ("ΙGΝΟRΕ", "IGNORE"),                       # Greek capitals keep their case
    ("ig\u200bno\u00adre\u2060", "ignore"),     # zero-width space, soft hyphen, word joiner
    ("i\u0307gnore", "ignore"),                 # combining dot above
    ("précédentes ß Æther", "precedentes ss AEther"),  # accents and ligatures spelled out
    ("1gn0r3 @ll", "ignore all"),               # leetspeak
    ("¡hola! “quoted” 😀", " hola!  quoted   "),  # other non-ASCII separates words
])
def test_skeleton_folds_obfuscation(text: str, expected: str) -> None:
    assert skel(text) == expected


def test_split_letters_are_joined_only_in_their_second_reading() -> None:
    frame = pl.DataFrame({"t": ["i.g.n.o.r.e p-r-e-v-i-o-u-s", "no separators at all"]})
    split, joined = split_letters(pl.col("t"))
    out = frame.select(split.alias("split"), joined.alias("joined"))
    assert out["split"].to_list() == [True, False]
    assert out["joined"][0] == "ignore previous"


def test_normalized_keeps_scripts_and_case_but_not_invisibles() -> None:
    # The fullwidth M becomes a Latin M; the Cyrillic letters stay Cyrillic.
    assert pl.select(normalized(pl.lit("Ｍеня\u200b зовут Ана"))).item() == "Mеня зовут Ана"
