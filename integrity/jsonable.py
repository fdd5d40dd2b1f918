"""JSON for everything integrity writes: results (--json), reasons, manifests, JSON Lines rows.

Observed values and row values are whatever the data holds (datetimes, decimals, bytes, NaN), and
JSON has no spelling for several of them. Everything goes through :func:`jsonable` so that what we
write is always valid JSON (``allow_nan=False``) that any consumer can parse, never Python's
``NaN`` extension, and never a ``repr``.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import json
import math
from collections.abc import Mapping
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: ISO strings for times, strings for decimals, base64 for bytes.

    Non-finite floats become ``None`` (JSON cannot hold them). Durations become seconds (a number),
    which every consumer can use without parsing ISO-8601 durations.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    # numpy scalars and the like: their Python value when they have one, else text.
    item = getattr(value, "item", None)
    if callable(item):
        return jsonable(item())
    return str(value)


#: Characters JSON leaves unescaped but that ``str.splitlines`` (and JavaScript) treat as line
#: breaks: escaping them keeps one record per line for every reader, not only ``\n``-splitters.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def dumps(value: Any) -> str:
    """Compact, UTF-8 JSON (non-ASCII kept as is) that is always valid and always one line."""
    text = json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.translate(_LINE_BREAKS)


def dumps_row(row: Mapping[str, Any]) -> str:
    """One JSON Lines record; the fast path skips the conversion when json can take the row as is."""
    try:
        text = json.dumps(row, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return dumps(row)
    return text.translate(_LINE_BREAKS)
