"""distribution expectations."""

from __future__ import annotations
