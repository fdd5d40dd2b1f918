"""Sources of batches: files, SQL databases, JSON APIs, memory, and third-party plugins.

:func:`registry` maps a dataset's ``connector.type`` to a factory. The built-in factories import
their module only when called, so a project that reads Parquet never imports SQLAlchemy drivers.
Third-party connectors need no change here: a package declares

.. code-block:: toml

    [project.entry-points."integrity.connectors"]
    mysource = "mypkg.connector:MySourceConnector"

and :class:`~integrity.connectors.base.ConnectorRegistry` finds it by name; the factory is called
with ``dataset=``, ``cursor=`` and the dataset's resolved ``params``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from integrity.connectors.base import Connector, ConnectorRegistry

__all__ = ["registry"]


# The casts: ConnectorBase.__enter__ is typed as returning ConnectorBase, which mypy does not accept
# as the protocol's ``-> Connector``; the classes do implement the protocol (tests check it).
def _files(**params: Any) -> Connector:
    from integrity.connectors.files import FilesConnector

    return cast("Connector", FilesConnector(**params))


def _sql(**params: Any) -> Connector:
    from integrity.connectors.sql import SqlConnector

    return cast("Connector", SqlConnector(**params))


def _http(**params: Any) -> Connector:
    from integrity.connectors.http import HttpConnector

    return cast("Connector", HttpConnector(**params))


def _memory(**params: Any) -> Connector:
    from integrity.connectors.base import MemoryConnector

    return cast("Connector", MemoryConnector(**params))


def registry() -> ConnectorRegistry:
    """A new registry holding the built-in connector types (plugins are found through entry points).

    A fresh object each call, so a test that adds a type does not leak it into other tests.
    """
    from integrity.connectors.base import ConnectorRegistry

    reg = ConnectorRegistry()
    reg.add("files", _files)
    reg.add("sql", _sql)
    reg.add("http", _http)
    reg.add("memory", _memory)
    return reg
