"""No import cycle among chatgpt4o's modules, counting imports inside functions too (but not
those under ``if TYPE_CHECKING:``, which never run)."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import chatgpt4o

PACKAGE = Path(chatgpt4o.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The chatgpt4o modules ``path`` imports when it runs, at any depth."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for statement in node.body
        for inner in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (
                package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            )
            source = ".".join([*base, *([node.module] if node.module else [])])
            submodules = {f"{source}.{alias.name}" for alias in node.names}
            found.update(submodules & modules or {source})
    return found & modules


def test_no_import_cycle() -> None:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {name: imports(path, set(paths)) - {name} for name, path in paths.items()}
    assert graph["chatgpt4o._cli"] >= {"chatgpt4o._output", "chatgpt4o._demo"}  # the walk works
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None
