"""Policy tables: numbers in the text agree with the fields; the signed snapshot verifies."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from integrity.checks.column_map import ColumnTypeError
from integrity.checks.poison.amounts import claims, readings
from integrity.checks.poison.snapshot import (
    canonical_bytes,
    public_key_text,
    sign_snapshot,
)
from integrity.engine.polars_engine import validate_frame
from integrity.errors import SuiteError
from integrity.suites import parse_suite
from integrity.types import ExpectationResult
from tests.clirun import ROOT, integrity

NUMBERS = "expect_column_numbers_in_text_to_match"
SIGNED = "expect_table_snapshot_signature_to_be_valid"


def check(data: pl.DataFrame, kind: str, **kwargs: Any) -> ExpectationResult:
    suite = parse_suite({"name": "t", "expectations": [{"type": kind, "kwargs": kwargs}]})
    return validate_frame(data, suite).results[0]


# --- reading numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Refunds up to 150 EUR within 30 days", [("150", "money"), ("30", "duration")]),
    ("Erstattung bis zu 150,00 € innerhalb von 14 Tagen",
     [("150.00", "money"), ("14", "duration")]),
    ("Remboursement jusqu'à 1\u202f500,00 € sous 30 jours",
     [("1500.00", "money"), ("30", "duration")]),
    ("Reembolsos de hasta 1.500,00 € en 30 días hábiles",
     [("1500.00", "money"), ("30", "duration")]),
    ("We pay back $1,500.50 at most", [("1500.50", "money")]),
    ("a restocking fee of 15% applies; 3-5 business days",
     [("15", "percent"), ("3", "duration"), ("5", "duration")]),
    ("max. 2'500.00 CHF", [("2500.00", "money")]),
    ("Call 0800 123 456 or +49 30 1234567, since 2019, open 24/7, from 31.12.2025 at 10:30", []),
    ("Version 4.2, step 2 of the form", []),
])
def test_claims_are_read_in_every_locale_and_dates_phones_years_are_not(
        text: str, expected: list[tuple[str, str]]) -> None:
    found = [(str(max(c.values)), c.kind) for c in claims(text)]
    assert found == expected


def test_an_ambiguous_separator_keeps_both_readings() -> None:
    assert readings("1,500") == {Decimal("1500"), Decimal("1.500")}
    assert readings("1.500") == {Decimal("1500"), Decimal("1.500")}
    assert readings("1.50") == {Decimal("1.50")}
    assert readings("1.500.000") == {Decimal("1500000")}


POLICIES = pl.DataFrame({
    "text": ["Refunds up to 150 EUR within 30 days; processing takes 3-5 business days",
             "Erstattung bis zu 1.500,00 € innerhalb von 30 Tagen",  # the text says 1500
             "Remboursement jusqu'à 150 € sous 45 jours",  # the field says 30 days
             "Reembolsos de hasta $1,500 en 30 días. Llame al 0800 123 456.",
             None],
    "max_refund_eur": [150.0, 150.0, 150.0, 1500.0, 99.0],
    "refund_window_days": [30, 30, 30, 30, 30],
    "restocking_fee_pct": [10, 10, 10, 10, 10],
})


def test_rows_whose_text_contradicts_their_fields_are_listed_with_the_mismatch() -> None:
    result = check(POLICIES, NUMBERS, text_column="text",
                   value_columns=["max_refund_eur", "refund_window_days", "restocking_fee_pct"])
    assert not result.success
    assert result.result["unexpected_index_list"] == [1, 2]
    rows = {r["row"]: r["contradictions"] for r in result.result["details"]["rows"]}
    assert rows[1] == [{"text": "1.500,00", "kind": "money", "fields": {"max_refund_eur": "150.0"}}]
    assert rows[2] == [{"text": "45", "kind": "duration", "fields": {"refund_window_days": "30"}}]
    assert result.result["missing_count"] == 1


def test_with_kinds_given_every_amount_of_a_kind_must_be_one_of_the_fields() -> None:
    data = pl.DataFrame({"text": ["Refunds up to 150 EUR within 30 days, or up to 1,500 EUR for "
                                  "members"], "limit": [150], "days": [30]})
    guessed = check(data, NUMBERS, text_column="text", value_columns=["limit", "days"])
    assert guessed.success  # the fields are stated; an extra amount is not a contradiction
    strict = check(data, NUMBERS, text_column="text",
                   value_columns={"limit": "money", "days": "duration"})
    assert strict.result["unexpected_index_list"] == [0]


def test_value_columns_are_checked_before_the_data_is_read() -> None:
    def strict(**kwargs: Any) -> None:
        suite = parse_suite({"name": "t", "expectations": [{"type": NUMBERS, "kwargs": kwargs}]})
        validate_frame(POLICIES, suite, catch_exceptions=False)

    # What the batch decides (a missing column, a column of text) fails when the suite is planned
    # on it; catch_exceptions=False raises it instead of failing the one expectation.
    with pytest.raises(SuiteError, match="Did you mean 'max_refund_eur'"):
        strict(text_column="text", value_columns=["max_refund_euro"])
    with pytest.raises(ColumnTypeError, match="must hold numbers"):
        strict(text_column="text", value_columns=["text"])
    with pytest.raises(SuiteError, match="non-empty list of column names"):
        check(POLICIES, NUMBERS, text_column="text", value_columns={"max_refund_eur": "euros"})


# --- signed snapshots ------------------------------------------------------------------------------


KEY = Ed25519PrivateKey.generate()
TABLE = POLICIES.drop_nulls()


def test_the_canonical_encoding_ignores_row_and_column_order_and_number_types() -> None:
    shuffled = TABLE.reverse().select(reversed(TABLE.columns))
    as_floats = TABLE.with_columns(pl.col("refund_window_days").cast(pl.Float64))
    assert canonical_bytes(shuffled) == canonical_bytes(TABLE) == canonical_bytes(as_floats)
    assert canonical_bytes(TABLE).startswith(b"integrity-snapshot-v1\n")


@pytest.mark.parametrize("key_form", ["pem", "path", "raw"])
def test_a_signed_snapshot_verifies_with_each_form_of_public_key(key_form: str,
                                                                 tmp_path: Path) -> None:
    pem = public_key_text(KEY)
    raw = base64.b64encode(KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    (tmp_path / "key.pem").write_text(pem)
    public = {"pem": pem, "path": str(tmp_path / "key.pem"), "raw": raw}[key_form]
    result = check(TABLE, SIGNED, public_key=public, signature=sign_snapshot(TABLE, KEY))
    assert result.success and result.result["observed_value"] == "valid"


@pytest.mark.parametrize("tamper", ["cell", "added row", "removed row", "other key"])
def test_any_change_fails_the_whole_table_and_lists_no_rows(tamper: str) -> None:
    signature = sign_snapshot(TABLE, KEY)
    changed = {
        "cell": TABLE.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(31)
                                   .otherwise(pl.col("refund_window_days"))
                                   .alias("refund_window_days")),
        "added row": pl.concat([TABLE, TABLE.head(1)]),
        "removed row": TABLE.tail(-1),
        "other key": TABLE,
    }[tamper]
    key = Ed25519PrivateKey.generate() if tamper == "other key" else KEY
    result = check(changed, SIGNED, public_key=public_key_text(key), signature=signature)
    assert not result.success
    assert result.result["observed_value"] == "invalid"
    assert "unexpected_index_list" not in result.result
    assert "a cell was changed, or a row added or removed" in result.result["details"]["why"]


def test_bad_keys_and_signatures_are_load_errors(tmp_path: Path) -> None:
    signature = sign_snapshot(TABLE, KEY)
    with pytest.raises(SuiteError, match="public_key is neither PEM"):
        check(TABLE, SIGNED, public_key="not a key", signature=signature)
    with pytest.raises(SuiteError, match="not a PEM public key"):
        check(TABLE, SIGNED, public_key="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
              signature=signature)
    with pytest.raises(SuiteError, match="64-byte Ed25519 signature"):
        check(TABLE, SIGNED, public_key=public_key_text(KEY), signature="c2lnbmF0dXJl")
    with pytest.raises(SuiteError, match="one of the two"):
        check(TABLE, SIGNED, public_key=public_key_text(KEY))
    with pytest.raises(SuiteError, match="cannot read the signature file"):
        check(TABLE, SIGNED, public_key=public_key_text(KEY),
              signature_file=str(tmp_path / "missing.sig"))


# --- through the real command line -------------------------------------------------------------------


def write(path: Path, body: object) -> Path:
    path.write_text(json.dumps(body))
    return path


def test_sign_snapshot_script_and_validate_cli_round_trip(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "sign_snapshot.py"
    key, public = tmp_path / "steward.pem", tmp_path / "steward.pub"
    made = subprocess.run([sys.executable, str(script), "--new-key", str(key)],
                          capture_output=True, text=True, check=True)
    public.write_text(made.stdout)
    assert key.stat().st_mode & 0o077 == 0
    data = tmp_path / "policy.csv"
    TABLE.write_csv(data)
    subprocess.run([sys.executable, str(script), str(data), "--key", str(key)], check=True,
                   capture_output=True)
    suite = write(tmp_path / "suite.json", {"name": "policy", "expectations": [
        {"type": SIGNED, "kwargs": {"public_key": str(public),
                                    "signature_file": f"{data}.sig"}}]})
    assert integrity("validate", str(data), "--suite", str(suite)).code == 0
    data.write_text(data.read_text().replace("1.500,00", "1.600,00"))
    tampered = integrity("validate", str(data), "--suite", str(suite))
    assert tampered.code == 1, tampered.stderr
    assert "invalid" in tampered.stdout


@pytest.mark.parametrize(("kwargs", "fragments"), [
    ({"type": SIGNED, "kwargs": {"public_key": "AAAA", "signature": "x"}},
     ["argument 'public_key'", "neither PEM text"]),
    ({"type": "expect_labels_to_agree_with_text",
      "kwargs": {"text_column": "text", "label_column": "max_refund_eur",
                 "max_disagreement": 0.1, "method": "lexicon"}},
     ["needs text labels", "'max_refund_eur'"]),
    ({"type": "expect_column_near_duplicate_clusters_to_be_smaller_than",
      "kwargs": {"column": "text", "max_cluster_size": "5"}},
     ["argument 'max_cluster_size'", "must be an integer"]),
    ({"type": "expect_column_top_value_share_to_be_less_than",
      "kwargs": {"column": "text", "max_share": 5}},
     ["argument 'max_share'", "between 0 and 1"]),
    ({"type": NUMBERS, "kwargs": {"text_column": "text", "value_columns": "max_refund_eur"}},
     ["argument 'value_columns'", "must be a list or an object"]),
])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, kwargs: dict[str, Any],
                                          fragments: list[str]) -> None:
    data = tmp_path / "policy.csv"
    TABLE.write_csv(data)
    suite = write(tmp_path / "suite.json", {"name": "s", "expectations": [kwargs]})
    run = integrity("validate", str(data), "--suite", str(suite))
    assert run.code == 2, (run.stdout, run.stderr)
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr
    for fragment in [str(suite), *fragments]:
        assert fragment in run.stderr, run.stderr
