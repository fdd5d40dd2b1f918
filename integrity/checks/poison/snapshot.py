"""Signed policy snapshots: the canonical encoding of a table, and Ed25519 signing and verifying.

The canonical encoding (version 1) of a table is UTF-8 text:

* the first line is ``integrity-snapshot-v1``;
* then one line per row, each row a JSON object of every column (keys sorted, no spaces,
  non-ASCII written as is), the lines sorted bytewise (so the order rows arrive in does not
  matter, and a duplicated row counts twice); every line ends with ``\\n``.

Values are written as JSON: text as text, integers as integers, a float that is a whole number
as that integer (``150.0`` and ``150`` are the same amount, whichever type a CSV reader picks),
other floats in their shortest round-trip form, decimals as the float they equal (as a
string of their digits when no float equals them), dates and times
in ISO 8601, binary as base64, lists and structs as JSON arrays and objects, null as ``null``.
NaN and infinities are written as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``.

The signature is Ed25519 over those bytes, written as base64 (88 characters). Public keys are
PEM text (``-----BEGIN PUBLIC KEY-----``), a path to a PEM file, or the raw 32-byte key in
base64; private keys are PEM (PKCS#8, unencrypted or with a password).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

HEADER = b"integrity-snapshot-v1\n"


class SnapshotKeyError(ValueError):
    """A key or signature that cannot be used; the message says why and what to give instead."""


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else format(value.normalize(), "f")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    return str(value)


def canonical_bytes(frame: pl.DataFrame) -> bytes:
    """The canonical encoding of ``frame`` (see the module docstring)."""
    columns = sorted(frame.columns)
    lines = []
    for row in frame.select(columns).iter_rows():
        record = {name: _canonical(value) for name, value in zip(columns, row, strict=True)}
        lines.append(json.dumps(record, sort_keys=True, separators=(",", ":"),
                                ensure_ascii=False, allow_nan=False).encode("utf-8"))
    lines.sort()
    return HEADER + b"".join(line + b"\n" for line in lines)


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key from PEM text, a path to a PEM file, or the raw 32 bytes in base64."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    source = text.strip()
    pem = source.encode() if source.startswith("-----BEGIN") else None
    if pem is None and len(source) != 44 and len(source) < 4096:  # not base64 of 32 bytes
        path = Path(source).expanduser()
        if not path.is_file():
            raise SnapshotKeyError(f"public_key is neither PEM text, nor base64 of a raw 32-byte "
                            f"Ed25519 key, nor an existing file ({source[:60]!r})")
        pem = path.read_bytes()
    if pem is not None:
        try:
            key = load_pem_public_key(pem)
        except ValueError as exc:
            raise SnapshotKeyError(f"public_key is not a PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SnapshotKeyError(f"public_key is a {type(key).__name__.lstrip('_')}, not an Ed25519 "
                            "key; snapshots are signed with Ed25519")
        return key
    try:
        raw = base64.b64decode(source, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise SnapshotKeyError("public_key in base64 must decode to the 32 bytes of a raw Ed25519 key")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_private_key(pem: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise SnapshotKeyError(f"not a usable PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SnapshotKeyError("the private key is not an Ed25519 key")
    return key


def decode_signature(text: str) -> bytes:
    """A signature from its base64 text (a sidecar file's content is stripped first)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 64:
        raise SnapshotKeyError("the signature must be the base64 of a 64-byte Ed25519 signature "
                        "(88 characters, as scripts/sign_snapshot.py writes it)")
    return raw


def sign_snapshot(frame: pl.DataFrame, private_key: Ed25519PrivateKey) -> str:
    """The base64 Ed25519 signature of ``frame``'s canonical encoding."""
    return base64.b64encode(private_key.sign(canonical_bytes(frame))).decode("ascii")


def verify_snapshot(frame: pl.DataFrame, signature: bytes, public_key: Ed25519PublicKey) -> bool:
    """True when ``signature`` signs ``frame``'s canonical encoding under ``public_key``."""
    from cryptography.exceptions import InvalidSignature

    try:
        public_key.verify(signature, canonical_bytes(frame))
    except InvalidSignature:
        return False
    return True


def public_key_text(private_key: Ed25519PrivateKey) -> str:
    """The PEM text of ``private_key``'s public key (what a suite's public_key holds)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return private_key.public_key().public_bytes(Encoding.PEM,
                                                 PublicFormat.SubjectPublicKeyInfo).decode()
