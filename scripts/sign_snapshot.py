#!/usr/bin/env python
"""Sign a policy snapshot, so that ``expect_table_snapshot_signature_to_be_valid`` can verify it.

The table is read the way ``integrity validate`` reads it (Parquet, CSV or JSON lines, chosen by
the extension), encoded canonically (integrity.checks.poison.snapshot) and signed with an Ed25519
private key; the base64 signature goes to a sidecar file, ``<data>.sig`` by default. Point the
expectation's ``signature_file`` at it and its ``public_key`` at the public key.

    python scripts/sign_snapshot.py --new-key steward.pem        # once: a key pair
    python scripts/sign_snapshot.py policy.csv --key steward.pem  # each published snapshot

``--new-key`` writes the private key (PKCS#8 PEM, mode 0600, refusing to overwrite a file) and
prints the public key to put in the suite. Keep the private key out of the repository.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path


def new_key(path: Path) -> str:
    """Write a new private key to ``path`` (0600, never over an existing file); return the
    public key's PEM text."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    from integrity.checks.poison.snapshot import public_key_text

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return public_key_text(key)


def sign_file(data: str, key_path: Path, *, out: Path | None = None,
              ignore_columns: list[str] | None = None, password: bytes | None = None) -> Path:
    """Sign the table in ``data`` with the private key at ``key_path``; return the .sig path."""
    from integrity.checks.poison.snapshot import load_private_key, sign_snapshot
    from integrity.connectors.readers import scan

    key = load_private_key(key_path.read_bytes(), password)
    frame = scan(data)
    if ignore_columns:
        frame = frame.drop(ignore_columns)
    signature = sign_snapshot(frame.collect(), key)
    target = out or Path(f"{data}.sig")
    target.write_text(signature + "\n", encoding="ascii")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", help="the snapshot: a Parquet, CSV or JSON-lines file")
    parser.add_argument("--key", type=Path, help="the steward's Ed25519 private key (PEM)")
    parser.add_argument("--out", type=Path, help="where to write the signature (<data>.sig)")
    parser.add_argument("--ignore-columns", default="",
                        help="comma-separated columns left out (as ignore_columns in the suite)")
    parser.add_argument("--password", action="store_true", help="the private key is encrypted")
    parser.add_argument("--new-key", type=Path, metavar="PEM",
                        help="write a new private key here and print its public key")
    args = parser.parse_args(argv)
    try:
        if args.new_key:
            print(new_key(args.new_key), end="")
            return 0
        if not args.data or not args.key:
            parser.error("give the snapshot file and --key (or --new-key PEM)")
        password = getpass.getpass("key password: ").encode() if args.password else None
        ignored = [c for c in args.ignore_columns.split(",") if c]
        target = sign_file(args.data, args.key, out=args.out, ignore_columns=ignored,
                           password=password)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"signed {args.data}: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
