"""Read a YAML file the user wrote, turning every failure into one sentence naming the file.

A data.yaml or params file is small; one that is huge, nests without end or holds
aliases that expand to millions of values (an "alias bomb": a few hundred bytes that
become gigabytes when printed or copied) is refused before anything reads its values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from revops_nb.errors import RevopsError

MAX_BYTES = 2_000_000  # far above any real data.yaml or params file
MAX_DEPTH = 100  # nested lists/mappings
EXPANDED_SLACK = 100_000  # values and characters aliases may add beyond the file's own size


def read_yaml(path: Path, error: type[RevopsError], noun: str) -> Any:
    """Parsed YAML of ``path``; a missing file, a folder, bad bytes, bad syntax or a bomb raise ``error``.

    ``noun`` names the file in messages, e.g. "data file" or "params file".
    """
    if not path.exists():
        raise error(f"{path}: {noun} not found")
    if path.is_dir():
        raise error(f"{path}: is a directory, expected a {noun}")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise error(f"{path}: is {size:,} bytes; a {noun} may be at most {MAX_BYTES:,} bytes")
    try:
        return load_text(path.read_text(encoding="utf-8"), str(path), error)
    except UnicodeDecodeError as exc:
        raise error(f"{path}: is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{path}: YAML syntax error{where}: {problem[:200]}") from None


def load_text(text: str, where: str, error: type[RevopsError]) -> Any:
    """``yaml.safe_load`` that measures the composed document before building any value.

    A recursive, too deeply nested or exploding document raises ``error`` naming ``where``
    (the file, or e.g. "-p names"); syntax errors raise ``yaml.YAMLError`` as safe_load does.
    """
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise error(f"{where}: nests lists or mappings too deeply (at most {MAX_DEPTH} levels)") from None
        if node is None:
            return None
        _check_size(node, len(text) + EXPANDED_SLACK, where, error)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_size(root: yaml.Node, limit: int, path: str, error: type[RevopsError]) -> None:
    """Refuse a document whose values, with every alias expanded, exceed ``limit`` or nest too deeply.

    Each node's expanded size is computed once (aliases share nodes), so this takes time
    linear in the file, however large the expansion would be.
    """
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    open_nodes: set[int] = set()
    while stack:
        node, depth, expanded = stack.pop()
        key = id(node)
        if key in size and not expanded:
            continue
        if depth > MAX_DEPTH:
            raise error(f"{path}: nests lists or mappings too deeply (at most {MAX_DEPTH} levels)")
        children = _children(node)
        if not expanded:
            if key in open_nodes:
                raise error(f"{path}: a YAML alias refers to the value that contains it; write the value out")
            open_nodes.add(key)
            stack.append((node, depth, True))
            stack += [(child, depth + 1, False) for child in children if id(child) not in size]
            for child in children:
                if id(child) in open_nodes:
                    raise error(
                        f"{path}: a YAML alias refers to the value that contains it; write the value out"
                    )
            continue
        open_nodes.discard(key)
        own = 1 + (len(node.value) if isinstance(node, yaml.ScalarNode) else 0)
        size[key] = own + sum(size[id(child)] for child in children)
        if size[key] > limit:
            raise error(
                f"{path}: its YAML aliases expand to more than {limit:,} values and characters; "
                "refusing it (an alias bomb?)"
            )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return []
