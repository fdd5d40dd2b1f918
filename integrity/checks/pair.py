"""pair expectations."""

from __future__ import annotations
