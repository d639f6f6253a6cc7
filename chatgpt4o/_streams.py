"""Stream and AsyncStream: a reply's text pieces, an iterator that releases its connection.

Transport-free wrappers over the clients' piece generators, so conversations and the chat
completion streams can wrap them too.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator

__all__ = ["AsyncStream", "Stream"]


class Stream(Iterator[str]):
    """The pieces of one streamed reply, as the site sends them.

    Iterate it, or use it as a context manager so the connection is released even when you
    stop early::

        with client.stream(None, "Tell me a story") as stream:
            for piece in stream:
                print(piece, end="", flush=True)
    """

    def __init__(self, pieces: Generator[str, None, None]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._pieces.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncStream(AsyncIterator[str]):
    """The pieces of one streamed reply, as the site sends them.

    Iterate it (no ``await`` first), or use it as an async context manager so the connection
    is released even when you stop early::

        async with client.stream(None, "Tell me a story") as stream:
            async for piece in stream:
                print(piece, end="", flush=True)
    """

    def __init__(self, pieces: AsyncGenerator[str, None]) -> None:
        self._pieces = pieces

    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> str:
        return await self._pieces.__anext__()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        await self._pieces.aclose()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
