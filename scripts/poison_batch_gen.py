"""Batches for the batch-level poisoning benchmark: clean feedback and policy tables, and poisons.

Clean batches are composed from the phrase pools of ``poison_batch_corpus.py``; each poison
function takes a batch and a row count and returns the poisoned batch and the positions of the
rows behind the poisoning (what an indicator should list). Used by ``bench_poison_batch.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poison_batch_corpus as corpus

from integrity.checks.poison.folding import folded

ROWS = 1000
RATES: list[float | int] = [0.005, 0.01, 0.02, 0.05, 0.10, 5, 10, 20]
CONTRAST = {"en": "but", "de": "aber", "fr": "mais", "es": "pero"}
AND = {"en": "and", "de": "und", "fr": "et", "es": "y"}
EMOJI = ["🙂", "😡", "👍", "🙏", "🎉", "😞", "🔥"]
FLOOD_WORDS = ["now", "guys", "friends", "here", "seriously", "folks", "again", "today"]


def pick(rng: np.random.Generator, items: list[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


# --- clean batches ---------------------------------------------------------------------------


def context(rng: np.random.Generator, which: str, language: str) -> str:
    """What a customer says about their purchase ("I bought the kettle last week.")."""
    return pick(rng, corpus.CONTEXT[which][language]).format(
        item=pick(rng, corpus.ITEMS[language]), when=pick(rng, corpus.WHEN[language]))


def review(rng: np.random.Generator, pools: corpus.Pools, language: str, which: str
           ) -> tuple[str, str]:
    """One piece of feedback and its sentiment label."""
    polarity = pick(rng, ["positive"] * 9 + ["negative"] * 8 + ["neutral"] * 3)
    predicates = pools[polarity]
    parts = []
    if rng.random() < 0.5:
        parts.append(pick(rng, pools["opener"]))
    statement = f"{pick(rng, pools['subject'])} {pick(rng, predicates)}"
    if polarity != "neutral" and rng.random() < 0.12:  # mixed: a minor opposite clause first
        other = pools["negative" if polarity == "positive" else "positive"]
        statement = (f"{pick(rng, pools['subject'])} {pick(rng, other)}, {CONTRAST[language]} "
                     f"{statement[0].lower()}{statement[1:]}")
    parts.append(statement + ("." if rng.random() < 0.7 else "!"))
    if rng.random() < 0.4:
        second = f"{pick(rng, pools['subject'])} {pick(rng, predicates)}"
        parts[-1] = parts[-1][:-1] + f" {AND[language]} {second[0].lower()}{second[1:]}."
    if rng.random() < 0.5:
        parts.insert(int(rng.integers(len(parts) + 1)), context(rng, which, language))
    if rng.random() < 0.5:
        parts.append(pick(rng, pools["detail"]).format(n=int(rng.integers(1000, 99999)),
                                                       d=int(rng.integers(1, 30))))
    if rng.random() < 0.5:
        parts.append(pick(rng, pools["closer"]))
    text = " ".join(parts)
    if rng.random() < 0.1:
        text += " " + pick(rng, EMOJI)
    if rng.random() < 0.05:
        text = text.lower()
    return text, polarity


def storm_complaint(rng: np.random.Generator, pools: corpus.Pools) -> str:
    """A complaint about an outage, in the customer's own words and order."""
    picked = [pick(rng, pools["storm_symptom"])]
    for name, chance in (("storm_time", 0.7), ("storm_impact", 0.5), ("storm_ask", 0.6)):
        if rng.random() < chance:
            picked.append(pick(rng, pools[name]))
    rng.shuffle(picked[1:])
    sep = pick(rng, [", ", ". ", " - ", "! ", " "])
    text = sep.join(picked)
    text = text[0].upper() + text[1:]
    if rng.random() < 0.3:
        text += pick(rng, ["!!", "?!", " :(", " " + pick(rng, EMOJI)])
    return text


def bot_quote(rng: np.random.Generator, pools: corpus.Pools, which: str, language: str) -> str:
    """A customer quoting the chatbot's canned reply, usually saying what they had asked."""
    quoted = pick(rng, pools["bot_frame"]).format(q=pick(rng, pools["bot_reply"]))
    return quoted + " " + context(rng, which, language) if rng.random() < 0.7 else quoted


def clean_batch(rng: np.random.Generator, which: str, rows: int = ROWS) -> pl.DataFrame:
    """One clean batch: reviews, sometimes an outage storm, bot quotes and other scripts."""
    storm_share = float(rng.uniform(0.05, 0.2)) if rng.random() < 0.5 else 0.0
    texts, labels, languages, kinds = [], [], [], []
    for _ in range(rows):
        language = pick(rng, ["en"] * 5 + ["de"] * 2 + ["fr", "es"])
        pools = corpus.pools(which, language)
        draw = rng.random()
        if draw < storm_share:
            text, label, kind = storm_complaint(rng, pools), "negative", "storm"
        elif draw < storm_share + 0.02:
            text, label, kind = bot_quote(rng, pools, which, language), "negative", "bot_quote"
        elif draw < storm_share + 0.03:
            language = pick(rng, list(corpus.EXTRA_PHRASES))
            label = pick(rng, ["positive", "negative"])
            phrases = corpus.EXTRA_PHRASES[language][label]
            first, second = rng.choice(len(phrases), size=2, replace=False)
            text = f"{phrases[first]}، {phrases[second]}" if language in ("ar", "fa") else \
                f"{phrases[first]}. {phrases[second]}"
            kind = "other_script"
        else:
            text, label = review(rng, pools, language, which)
            kind = "review"
        texts.append(text)
        labels.append(label)
        languages.append(language)
        kinds.append(kind)
    # Customers: most write once; regulars (5% of rows) come back; storms are many customers.
    regular = rng.random(rows) < 0.05
    customers = np.where(regular, rng.integers(0, 300, rows), rng.integers(1000, 500_000, rows))
    return pl.DataFrame({
        "feedback_id": np.arange(rows),
        "customer_id": [f"C{c:06d}" for c in customers],
        "language": languages, "text": texts, "label": labels, "kind": kinds,
    })


# --- poisons ---------------------------------------------------------------------------------


def count_of(rate: float | int, rows: int) -> int:
    return int(rate) if isinstance(rate, int) else max(1, round(rate * rows))


def positions(rng: np.random.Generator, rows: int, k: int) -> np.ndarray:
    return np.sort(rng.choice(rows, size=k, replace=False))


def flood_copy(rng: np.random.Generator, base: str) -> str:
    """A copy of a campaign text that differs by a word, and by punctuation, case or emoji."""
    words = base.split()
    op = int(rng.integers(4))
    i = int(rng.integers(len(words)))
    if op == 0:
        words[i] = pick(rng, corpus.SWAPS.get(words[i].lower(), FLOOD_WORDS))
    elif op == 1:
        words.insert(i, pick(rng, FLOOD_WORDS + corpus.FILLERS))
    elif op == 2 and len(words) > 10:
        del words[i]
    text = " ".join(words)
    surface = int(rng.integers(5))
    if surface == 0:
        text = text.upper()
    elif surface == 1:
        text = text.replace(" ", ", ", 1) + "!!!"
    elif surface == 2:
        text = text + " " + pick(rng, EMOJI) * int(rng.integers(1, 4))
    elif surface == 3:
        text = text[0].lower() + text[1:] + "."
    return text


def flood(rng: np.random.Generator, batch: pl.DataFrame, which: str, k: int
          ) -> tuple[pl.DataFrame, np.ndarray]:
    language = pick(rng, ["en", "en", "de", "fr", "es"])
    base = pick(rng, corpus.pools(which, language)["campaign"])
    rows = positions(rng, batch.height, k)
    texts = batch["text"].to_list()
    customers = batch["customer_id"].to_list()
    tag = int(rng.integers(1_000_000))
    for n, r in enumerate(rows):
        texts[r] = flood_copy(rng, base)
        customers[r] = f"F{tag:06d}-{n}"
    return batch.with_columns(pl.Series("text", texts), pl.Series("customer_id", customers)), rows


def dominate(rng: np.random.Generator, batch: pl.DataFrame, which: str, k: int
             ) -> tuple[pl.DataFrame, np.ndarray]:
    rows = positions(rng, batch.height, k)
    customers = batch["customer_id"].to_list()
    account = f"X{int(rng.integers(1_000_000)):06d}"
    for r in rows:
        customers[r] = account
    return batch.with_columns(pl.Series("customer_id", customers)), rows


def flip(label: str) -> str:
    return {"positive": "negative", "negative": "positive"}.get(label, label)


def flip_labels(rng: np.random.Generator, batch: pl.DataFrame, which: str, k: int
                ) -> tuple[pl.DataFrame, np.ndarray]:
    polar = np.flatnonzero(batch["label"].is_in(["positive", "negative"]).to_numpy())
    rows = np.sort(rng.choice(polar, size=min(k, len(polar)), replace=False))
    labels = batch["label"].to_list()
    for r in rows:
        labels[r] = flip(labels[r])
    return batch.with_columns(pl.Series("label", labels)), rows


def conflicting_copies(rng: np.random.Generator, batch: pl.DataFrame, which: str, k: int
                       ) -> tuple[pl.DataFrame, np.ndarray]:
    """k rows become copies (case and punctuation varied) of other rows, with the label flipped.
    The rows behind the finding are every row whose text is a poisoned text."""
    polar = np.flatnonzero(batch["label"].is_in(["positive", "negative"]).to_numpy())
    chosen = rng.choice(polar, size=min(2 * k, len(polar)), replace=False)
    sources, targets = chosen[:k], chosen[k:2 * k]
    texts, labels = batch["text"].to_list(), batch["label"].to_list()
    for s, t in zip(sources, targets, strict=False):
        texts[t] = texts[s].upper() if rng.random() < 0.5 else texts[s].rstrip(".!") + " !"
        labels[t] = flip(labels[s])
    out = batch.with_columns(pl.Series("text", texts), pl.Series("label", labels))
    keys = out.select(folded(pl.col("text")).alias("k"))["k"]
    poisoned = set(keys.gather(targets.tolist()).to_list())
    return out, np.flatnonzero(keys.is_in(list(poisoned)).to_numpy())


# --- policy tables ---------------------------------------------------------------------------

AMOUNTS = [25.0, 49.99, 75.0, 100.0, 150.0, 200.0, 250.0, 499.5, 1000.0, 1500.0, 2500.0]
DAYS = [14, 30, 45, 60, 90]
FEES = [5, 10, 15, 20]


def money(rng: np.random.Generator, value: float, language: str) -> str:
    whole = f"{value:,.2f}" if value % 1 or rng.random() < 0.4 else f"{value:,.0f}"
    if language == "en":
        style = int(rng.integers(3))
        return (f"${whole}", f"{whole} EUR", f"€{whole}")[style]
    local = whole.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    if language == "fr":
        local = local.replace(".", pick(rng, [" ", "\u202f", "\u00a0"]))
    return f"{local} {pick(rng, ['€', 'EUR', 'Euro' if language == 'de' else 'euros'])}"


def policy_table(rng: np.random.Generator, which: str, rows: int = ROWS) -> pl.DataFrame:
    records = []
    for i in range(rows):
        language = pick(rng, ["en", "en", "de", "fr", "es"])
        amount, days, fee = pick(rng, AMOUNTS), pick(rng, DAYS), pick(rng, FEES)
        template = pick(rng, corpus.POLICIES[which][language])
        records.append({"policy_id": i, "language": language,
                        "text": template.format(amount=money(rng, amount, language), days=days,
                                                fee=fee),
                        "max_refund_eur": amount, "refund_window_days": days,
                        "restocking_fee_pct": fee})
    return pl.DataFrame(records)


def tamper_policies(rng: np.random.Generator, table: pl.DataFrame, which: str, k: int
                    ) -> tuple[pl.DataFrame, np.ndarray]:
    """In-bounds edits: the amount or window in the text, or in the field, changed."""
    rows = positions(rng, table.height, k)
    records = table.to_dicts()
    for r in rows:
        rec = records[r]
        op = int(rng.integers(4))
        if op == 0:
            new = pick(rng, [a for a in AMOUNTS if a != rec["max_refund_eur"]])
            rec["text"] = _retext(rng, rec, amount=new)
        elif op == 1:
            rec["text"] = _retext(rng, rec, days=pick(rng, [d for d in DAYS
                                                         if d != rec["refund_window_days"]]))
        elif op == 2:
            rec["max_refund_eur"] = pick(rng, [a for a in AMOUNTS if a != rec["max_refund_eur"]])
        else:
            rec["refund_window_days"] = pick(rng, [d for d in DAYS
                                                   if d != rec["refund_window_days"]])
    return pl.DataFrame(records, schema=table.schema), rows


def _retext(rng: np.random.Generator, rec: dict[str, Any], *, amount: float | None = None,
            days: int | None = None) -> str:
    """The record's text with its amount or its window replaced (as a tamperer would)."""
    text = rec["text"]
    if days is not None:
        return text.replace(str(rec["refund_window_days"]), str(days), 1)
    assert amount is not None
    old, new = _written_forms(rec["max_refund_eur"]), _written_forms(amount)
    for style in sorted(old, key=lambda k: len(old[k]), reverse=True):
        if old[style] in text:
            return text.replace(old[style], new[style], 1)
    raise AssertionError(f"amount not found in {text!r}")


def _written_forms(value: float) -> dict[tuple[int, int], str]:
    """The ways :func:`money` writes ``value``, by (decimals, separator style)."""
    forms = {}
    for decimals, whole in enumerate((f"{value:,.0f}", f"{value:,.2f}")):
        local = whole.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
        variants = [whole, local] + [local.replace(".", s) for s in (" ", "\u202f", "\u00a0")]
        forms.update({(decimals, i): v for i, v in enumerate(variants)})
    return forms
