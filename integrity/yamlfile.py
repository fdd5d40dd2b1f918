"""Reading the YAML that people write (integrity.yaml, connectors/*.yaml, YAML suites), within bounds.

PyYAML's safe loader builds no arbitrary objects, but it does not bound size: an alias bomb (nine
anchors, each a list of nine aliases of the previous one) is a few hundred bytes that stands for 387
million values, and whatever walks the result (pydantic, ``json.dumps``, the secret resolver)
expands it until memory runs out. So a document is *composed* first (an alias is then one shared
node, so composing costs what the text costs), its expanded size is counted once per distinct node,
and it is constructed only when aliases multiply it by less than :data:`EXPANSION_FACTOR` (or it
stays under :data:`MIN_NODE_BUDGET` nodes). Files larger than :data:`MAX_BYTES`, binary files and
text that is not UTF-8 are refused with one line naming the file before anything is parsed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from integrity.errors import IntegrityError

MAX_BYTES = 8 * 1024 * 1024
"""Largest YAML file read (8 MiB: far above any definition or suite, far below a memory problem)."""
EXPANSION_FACTOR = 10
"""How many times aliases may multiply a document's node count (plain YAML without aliases: 1)."""
MIN_NODE_BUDGET = 100_000
"""Expanded size always allowed, whatever the factor, so small files may use anchors freely."""

YAML_SUFFIXES = (".yaml", ".yml")


def read_yaml(path: Path, *, error: type[IntegrityError], max_bytes: int = MAX_BYTES) -> Any:
    """Parse the YAML file ``path``; every problem with its content is one ``error`` naming the file.

    OSError (a missing or unreadable file) is left to the caller, which knows what the file is for.
    """
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error(f"{path}: larger than {max_bytes // (1024 * 1024)} MiB; a YAML definition or "
                    "suite is far smaller. Check that this is the right file.")
    return parse_yaml(decode_text(data, str(path), error=error), str(path), error=error)


def decode_text(data: bytes, source: str, *, error: type[IntegrityError]) -> str:
    """``data`` as UTF-8 text (a leading byte-order mark dropped), or one ``error`` saying why not."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(f"{source}: UTF-16 text; save it as UTF-8 (e.g. `iconv -f utf-16 -t utf-8`).")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise error(f"{source}: a binary file, not YAML text (a NUL byte at offset {nul}). "
                    "Replace it with the UTF-8 YAML it should be.")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"{source}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                    f"{exc.start}); save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).") from None


def parse_yaml(text: str, source: str, *, error: type[IntegrityError],
               min_node_budget: int = MIN_NODE_BUDGET, expansion_factor: int = EXPANSION_FACTOR,
               loader_class: Any = None) -> Any:
    """Compose ``text``, refuse recursive or exploding aliases, then build plain Python values.

    ``loader_class`` (a SafeLoader subclass) lets a caller record where values came from."""
    import yaml

    if loader_class is None:
        loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        expanded, distinct = _expanded_size(node, source, error)
        budget = max(min_node_budget, expansion_factor * distinct)
        if expanded > budget:
            raise error(f"{source}: its aliases expand {distinct:,} YAML nodes to more than "
                        f"{budget:,} (an alias bomb?). Write the values out instead of nesting "
                        "aliases of aliases.")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{source}{where}: not valid YAML ({problem}). Fix the syntax there.") from None
    except RecursionError:
        raise error(f"{source}: nested too deeply to read; flatten the structure.") from None
    finally:
        loader.dispose()


def _expanded_size(root: Any, source: str, error: type[IntegrityError]) -> tuple[int, int]:
    """(nodes after alias expansion, distinct nodes) of a composed document, in one pass over the
    distinct nodes (iterative: no recursion limit). A node reached again while it is still being
    counted is an alias of its own ancestor, which would expand forever. Scalars count 1 each and
    are not remembered: most nodes are scalars."""
    import yaml

    scalar = yaml.ScalarNode
    cap = 1 << 62  # past every budget; keeps the numbers machine-sized
    sizes: dict[int, int] = {}
    scalars = 0
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            sizes[key] = min(cap, 1 + sum(sizes.get(id(child), 1) for child in _children(node)))
            continue
        if isinstance(node, scalar):
            scalars += 1
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            mark = node.start_mark
            raise error(f"{source}:{mark.line + 1}:{mark.column + 1}: an alias refers to the node "
                        "that contains it, so it never ends. Remove that alias.")
        open_nodes.add(key)
        stack.append((node, True))
        for child in _children(node):
            if isinstance(child, scalar):
                scalars += 1
            elif id(child) not in sizes:
                stack.append((child, False))
    return sizes.get(id(root), 1), len(sizes) + scalars


def _children(node: Any) -> list[Any]:
    value = node.value
    if isinstance(value, list) and value and isinstance(value[0], tuple):  # a mapping's pairs
        return [part for pair in value for part in pair]
    return value if isinstance(value, list) else []
