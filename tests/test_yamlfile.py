"""The one YAML reader (integrity.yaml, connectors/*.yaml, YAML suites): alias bombs, recursive
aliases, binary and non-UTF-8 files and oversized files are refused with one line naming the file;
ordinary YAML, anchors included, reads as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrity.config import load_dataset
from integrity.errors import ConfigError, SuiteError
from integrity.suites import load_suite
from integrity.yamlfile import parse_yaml, read_yaml


def laughs(levels: int, width: int, indent: str = "") -> list[str]:
    """The classic alias bomb: ``width ** levels`` values from a few hundred bytes."""
    lines = [f"{indent}l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"{indent}l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return lines


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("levels", "width"), [(9, 9), (12, 12), (40, 2)])
def test_an_alias_bomb_is_refused_before_anything_expands_it(levels: int, width: int) -> None:
    # 12 ** 12 values would never finish expanding; the refusal comes from counting shared nodes.
    with pytest.raises(ConfigError) as caught:
        parse_yaml("\n".join(laughs(levels, width)), "bomb.yaml", error=ConfigError)
    assert one_line(caught).startswith("bomb.yaml: its aliases expand")
    assert "alias bomb" in str(caught.value)


def test_a_merge_key_bomb_is_refused() -> None:
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}"]
    for i in range(1, 12):
        keys = ", ".join(f"k{j}: *m{i - 1}" for j in range(8))
        lines.append(f"m{i}: &m{i} {{<<: *m{i - 1}, {keys}}}")
    with pytest.raises(ConfigError, match=r"^x\.yaml: its aliases expand"):
        parse_yaml("\n".join(lines), "x.yaml", error=ConfigError)


def test_an_alias_inside_its_own_anchor_is_refused_with_its_position() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("ok: 1\nloop: &a [1, {again: *a}]\n", "loop.yaml", error=ConfigError)
    assert one_line(caught).startswith("loop.yaml:2:")
    assert "never ends" in str(caught.value)


def test_anchors_that_stay_within_the_budget_are_read_as_before() -> None:
    text = ("defaults: &d {type: files, params: {format: csv}}\n"
            "a: {<<: *d, name: a}\nb: [*d, *d, *d]\n")
    assert parse_yaml(text, "ok.yaml", error=ConfigError) == {
        "defaults": {"type": "files", "params": {"format": "csv"}},
        "a": {"type": "files", "params": {"format": "csv"}, "name": "a"},
        "b": [{"type": "files", "params": {"format": "csv"}}] * 3,
    }
    # A list used a few times: past the floor, but within the expansion factor (small budgets
    # here, the defaults' proportions).
    values = ", ".join(str(i) for i in range(500))
    text = f"v: &v [{values}]\nw: [*v, *v, *v]\n"
    data = parse_yaml(text, "big.yaml", error=ConfigError, min_node_budget=1000)
    assert len(data["w"]) == 3 and len(data["w"][2]) == 500
    with pytest.raises(ConfigError, match="alias bomb"):
        parse_yaml(text, "big.yaml", error=ConfigError, min_node_budget=1000, expansion_factor=2)


def test_a_large_document_without_aliases_is_not_limited_by_the_node_budget() -> None:
    text = "values:\n" + "".join(f"  - {i}\n" for i in range(3000))
    data = parse_yaml(text, "long.yaml", error=ConfigError, min_node_budget=1000)
    assert len(data["values"]) == 3000


def test_syntax_errors_keep_file_line_and_column() -> None:
    with pytest.raises(SuiteError, match=r"^s\.yaml:3:\d+: not valid YAML \(.+\)\. Fix the syntax there\.$"):
        parse_yaml("a: 1\nb: [1,\n", "s.yaml", error=SuiteError)
    assert parse_yaml("", "empty.yaml", error=ConfigError) is None
    assert parse_yaml("# only a comment\n", "c.yaml", error=ConfigError) is None


@pytest.mark.parametrize(("content", "fragments"), [
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", ("a binary file", "NUL byte at offset 7")),
    ("name: caf\u00e9\n".encode("utf-16"), ("UTF-16",)),
    (b"name: a\ndescription: caf\xe9\n", (":2: not UTF-8", "0xe9", "iconv")),
])
def test_binary_and_undecodable_files_are_one_line_naming_the_file(
        tmp_path: Path, content: bytes, fragments: tuple[str, ...]) -> None:
    path = tmp_path / "feedback.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        read_yaml(path, error=ConfigError)
    message = one_line(caught)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: a\n".encode())
    assert read_yaml(path, error=ConfigError) == {"name": "a"}


def test_files_over_the_size_limit_are_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("a: " + "x" * 2000 + "\n")
    with pytest.raises(ConfigError, match=r"huge\.yaml: larger than"):
        read_yaml(path, error=ConfigError, max_bytes=1000)
    assert read_yaml(path, error=ConfigError, max_bytes=4000) == {"a": "x" * 2000}


# -- the callers: dataset definitions and suites share the reader --------------------------------

def test_dataset_definitions_refuse_bombs_binary_files_and_folders(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("name: bomb\nconnector:\n  type: memory\n  params:\n"
                    + "\n".join(laughs(9, 9, indent="    ")) + "\nsuite: s.json\n")
    with pytest.raises(ConfigError, match=r"bomb\.yaml: its aliases expand"):
        load_dataset(bomb)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ConfigError, match=r"binary\.yaml: a binary file"):
        load_dataset(binary)
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(ConfigError, match=r"folder\.yaml: cannot read it"):
        load_dataset(tmp_path / "folder.yaml")
    with pytest.raises(ConfigError, match=r"gone\.yaml: file not found"):
        load_dataset(tmp_path / "gone.yaml")


def test_yaml_suites_refuse_bombs_and_binary_files(tmp_path: Path) -> None:
    bomb = tmp_path / "suite.yaml"
    bomb.write_text("name: s\n" + "\n".join(laughs(9, 9)) + "\nexpectations: []\n")
    with pytest.raises(SuiteError, match=r"suite\.yaml: its aliases expand"):
        load_suite(bomb)
    binary = tmp_path / "suite.yml"
    binary.write_bytes(b"name: s\x00\x01")
    with pytest.raises(SuiteError, match=r"suite\.yml: a binary file"):
        load_suite(binary)
    with pytest.raises(SuiteError, match="suite file not found"):
        load_suite(tmp_path / "missing.yaml")
    fine = tmp_path / "fine.yaml"
    fine.write_text("name: s\nx: &col {column: a}\nexpectations:\n"
                    "  - type: expect_column_values_to_not_be_null\n    kwargs: *col\n")
    assert load_suite(fine).expectations[0].kwargs == {"column": "a"}
