"""The sync and async halves stay twins: after normalising, only their transport calls differ.

Why a check and not generated code (unasync): the halves are short and read as ordinary code,
and what legitimately differs between requests and httpx (how a request is opened, how its body
is read, how its errors are named) is a handful of methods, listed below. Everything else must
be the same line for line once ``async``/``await``, the ``Async`` prefixes and the loop forms
are normalised, so a fix made to one half fails this test until it reaches the other.
"""

from __future__ import annotations

import ast
import copy
import inspect
from types import ModuleType

import pytest

from chatgpt4o import _async_client, _client, _conversation, _resources, _streams

# The methods where the two HTTP libraries are called: allowed to differ.
TRANSPORT = {"__init__", "_connect", "_open", "_chunks", "_reply"}

NAMES = {
    "AsyncClient": "Client",
    "AsyncStream": "Stream",
    "AsyncChat": "Chat",
    "AsyncCompletions": "Completions",
    "AsyncConversation": "Conversation",
    "AsyncChatCompletionStream": "ChatCompletionStream",
    "AsyncPieceStream": "PieceStream",
    "AsyncIterator": "Iterator",
    "AsyncGenerator": "Generator",
    "acall": "call",
    "aclose": "close",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "StopAsyncIteration": "StopIteration",
    "asynccontextmanager": "contextmanager",
    "async_lock": "thread_lock",
    "async_retrying": "retrying",
}

PAIRS = [
    (_client, "Client", _async_client, "AsyncClient"),
    (_streams, "Stream", _streams, "AsyncStream"),
    (_conversation, "Conversation", _conversation, "AsyncConversation"),
    (_resources, "Completions", _resources, "AsyncCompletions"),
    (_resources, "Chat", _resources, "AsyncChat"),
    (_resources, "ChatCompletionStream", _resources, "AsyncChatCompletionStream"),
]


class _Normalise(ast.NodeTransformer):
    """Rewrites code into a form where a sync and an async twin read the same."""

    def __init__(self, *, is_async: bool) -> None:
        self.is_async = is_async

    def _visit(self, node: ast.AST) -> ast.AST:
        result: ast.AST = self.visit(node)
        return result

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        return self.visit_FunctionDef(
            ast.FunctionDef(**{f: getattr(node, f) for f in node._fields})
        )

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = NAMES.get(node.name, node.name)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            node.body = body[1:] or [ast.Pass()]  # docstrings differ by their examples
        return self.generic_visit(node)

    def visit_Await(self, node: ast.Await) -> ast.AST:
        return self._visit(node.value)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> ast.AST:
        return self.generic_visit(ast.With(**{f: getattr(node, f) for f in ast.With._fields}))

    def visit_AsyncFor(self, node: ast.AsyncFor) -> ast.AST:
        return self._visit(ast.For(**{f: getattr(node, f) for f in ast.For._fields}))

    def visit_For(self, node: ast.For) -> ast.AST:
        # "for x in y: yield x" and "yield from y" are one thing.
        if (
            len(node.body) == 1
            and not node.orelse
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Yield)
            and isinstance(node.target, ast.Name)
            and isinstance(node.body[0].value.value, ast.Name)
            and node.body[0].value.value.id == node.target.id
        ):
            return ast.Expr(ast.YieldFrom(node.iter))
        return self.generic_visit(node)

    def visit_ListComp(self, node: ast.ListComp) -> ast.AST:
        # "[x async for x in y]" (collecting an async iterator) is "y" in the sync twin.
        (generator,) = node.generators
        if generator.is_async and isinstance(node.elt, ast.Name) and not generator.ifs:
            return self._visit(generator.iter)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        # "lock()" for asyncio and "lock" for threads.
        if isinstance(node.func, ast.Attribute) and node.func.attr == "async_lock":
            return self._visit(node.func)
        # "list(x)" collects an iterator, as "[x async for x in y]" does an async one.
        if isinstance(node.func, ast.Name) and node.func.id == "list" and len(node.args) == 1:
            return self._visit(node.args[0])
        # "next(x)" is "x.__anext__()" in the async twin.
        if isinstance(node.func, ast.Name) and node.func.id == "next" and len(node.args) == 1:
            method = ast.Attribute(self.visit(node.args[0]), "__next__", ast.Load())
            return ast.Call(method, [], [])
        return self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        # AsyncGenerator[str, None] is Generator[str, None, None].
        if isinstance(node.value, ast.Name) and node.value.id == "AsyncGenerator":
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            node.slice = ast.Tuple([*items, ast.Constant(None)], ast.Load())
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = NAMES.get(node.id, node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        node.attr = NAMES.get(node.attr, node.attr)
        return self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str):
            for old, new in NAMES.items():
                node.value = node.value.replace(old, new)
        return node


def methods(module: ModuleType, name: str, *, is_async: bool) -> dict[str, str]:
    """The class's methods, normalised and unparsed, by their (sync) names."""
    tree = ast.parse(inspect.getsource(getattr(module, name)))
    (cls,) = tree.body
    assert isinstance(cls, ast.ClassDef)
    found: dict[str, str] = {}
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            normal = _Normalise(is_async=is_async).visit(copy.deepcopy(node))
            found[NAMES.get(node.name, node.name)] = ast.unparse(ast.fix_missing_locations(normal))
    return found


@pytest.mark.parametrize(
    ("sync_module", "sync_name", "async_module", "async_name"),
    PAIRS,
    ids=[sync for _, sync, _, _ in PAIRS],
)
def test_the_halves_differ_only_in_their_transport(
    sync_module: ModuleType, sync_name: str, async_module: ModuleType, async_name: str
) -> None:
    sync = methods(sync_module, sync_name, is_async=False)
    twin = methods(async_module, async_name, is_async=True)

    assert set(sync) == set(twin), "the halves have different methods"
    different = [name for name in sync if name not in TRANSPORT and sync[name] != twin[name]]
    assert different == [], "\n\n".join(
        f"{sync[name]}\n--- vs ---\n{twin[name]}" for name in different
    )


def test_the_normaliser_sees_a_real_difference() -> None:
    # The check itself can fail: a twin that calls something else is caught.
    sync = "def f(self):\n    return self.a()\n"
    twin = "async def f(self):\n    return await self.b()\n"
    normal = [normalised(code, is_async=flag) for code, flag in ((sync, False), (twin, True))]
    assert normal[0] != normal[1]
    same = "async def f(self):\n    return await self.a()\n"
    assert normalised(same, is_async=True) == normal[0]


def normalised(code: str, *, is_async: bool) -> str:
    tree = _Normalise(is_async=is_async).visit(ast.parse(code))
    return ast.unparse(ast.fix_missing_locations(tree))
