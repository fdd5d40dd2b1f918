"""Third-party connectors plug in through the ``integrity.connectors`` entry-point group."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from integrity.connectors import registry
from integrity.connectors.base import Watermark
from integrity.errors import ConfigError

PLUGIN = '''
import polars as pl
from integrity.connectors.base import ConnectorBase, make_batch


class TicketsConnector(ConnectorBase):
    def __init__(self, *, dataset, cursor=None, count=3):
        self.dataset, self.cursor, self.count = dataset, cursor, count

    def pull(self, since, until=None):
        frame = pl.DataFrame({"ticket": list(range(self.count))})
        return make_batch(self.dataset, "tickets-plugin", frame, cursor=self.cursor, since=since, until=until)
'''


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real installed distribution on sys.path: a module plus dist-info with entry_points.txt."""
    (tmp_path / "acme_tickets.py").write_text(PLUGIN)
    info = tmp_path / "acme_tickets-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-tickets\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[integrity.connectors]\ntickets = acme_tickets:TicketsConnector\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "acme_tickets", raising=False)


def test_a_plugin_connector_is_found_and_pulls(installed_plugin: None) -> None:
    with registry().create("tickets", "support_tickets", None, {"count": 4}) as connector:
        batch = connector.pull(Watermark())
    assert batch.frame["ticket"].to_list() == [0, 1, 2, 3]
    assert batch.info.source == "tickets-plugin"


def test_an_unknown_connector_lists_the_known_ones_including_plugins(installed_plugin: None) -> None:
    with pytest.raises(ConfigError, match=r"unknown connector type 'tickts'.*Did you mean 'tickets'"):
        registry().create("tickts", "support_tickets", None, {})
