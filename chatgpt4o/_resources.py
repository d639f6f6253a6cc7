"""client.chat.completions: the OpenAI-shaped surface over Client and AsyncClient, thin twins."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from types import TracebackType
from typing import Callable, Literal, Optional, Protocol, Union, overload

from ._call import PreparedCall
from ._completions import (
    ChatCompletion,
    ChatCompletionChunk,
    ChunkSequencer,
    MessagesParam,
    build_completion,
    prepare_messages,
)

__all__ = [
    "AsyncChat",
    "AsyncChatCompletionStream",
    "AsyncCompletions",
    "AsyncPieceStream",
    "Chat",
    "ChatCompletionStream",
    "Completions",
    "PieceStream",
]

# The client's own preparation: checks model, messages, bot_id, timeout and extra_headers.
Prepare = Callable[..., PreparedCall]


class PieceStream(Protocol):
    """What ``Client.stream()`` returns: text pieces, and ``close()`` to stop early."""

    def __iter__(self) -> Iterator[str]: ...

    def close(self) -> None: ...


class AsyncPieceStream(Protocol):
    """What ``AsyncClient.stream()`` returns: text pieces, and ``aclose()`` to stop early."""

    def __aiter__(self) -> AsyncIterator[str]: ...

    async def aclose(self) -> None: ...


class ChatCompletionStream:
    """The chunks of one streamed completion; an iterator and a context manager.

    The request starts when you iterate; leaving the block (or ``close()``) releases
    the connection.

    Example::

        with client.chat.completions.create(model=m, messages=msgs, stream=True) as stream:
            for chunk in stream:
                print(chunk.choices[0].delta.content or "", end="")
    """

    def __init__(self, pieces: PieceStream, model: str) -> None:
        self._stream = pieces
        self._pieces = iter(pieces)
        self._sequencer = ChunkSequencer(model)
        self._buffer: deque[ChatCompletionChunk] = deque()
        self._done = False

    def __iter__(self) -> ChatCompletionStream:
        return self

    def __next__(self) -> ChatCompletionChunk:
        while not self._buffer:
            if self._done:
                raise StopIteration
            try:
                piece = next(self._pieces)
            except StopIteration:
                self._done = True
                self._buffer.extend(self._sequencer.finish())
                self._stream.close()
            except BaseException:
                self.close()
                raise
            else:
                self._buffer.extend(self._sequencer.feed(piece))
        return self._buffer.popleft()

    def close(self) -> None:
        """Stop the stream and release the connection; iteration ends at once."""
        self._done = True
        self._buffer.clear()
        self._stream.close()

    def __enter__(self) -> ChatCompletionStream:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class AsyncChatCompletionStream:
    """The chunks of one streamed completion; an async iterator and an async context manager.

    The request starts when you iterate; leaving the block (or ``aclose()``) releases
    the connection.

    Example::

        stream = await client.chat.completions.create(model=m, messages=msgs, stream=True)
        async with stream:
            async for chunk in stream:
                print(chunk.choices[0].delta.content or "", end="")
    """

    def __init__(self, pieces: AsyncPieceStream, model: str) -> None:
        self._stream = pieces
        self._pieces = pieces.__aiter__()
        self._sequencer = ChunkSequencer(model)
        self._buffer: deque[ChatCompletionChunk] = deque()
        self._done = False

    def __aiter__(self) -> AsyncChatCompletionStream:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        while not self._buffer:
            if self._done:
                raise StopAsyncIteration
            try:
                piece = await self._pieces.__anext__()
            except StopAsyncIteration:
                self._done = True
                self._buffer.extend(self._sequencer.finish())
                await self._stream.aclose()
            except BaseException:
                await self.aclose()
                raise
            else:
                self._buffer.extend(self._sequencer.feed(piece))
        return self._buffer.popleft()

    async def aclose(self) -> None:
        """Stop the stream and release the connection; iteration ends at once."""
        self._done = True
        self._buffer.clear()
        await self._stream.aclose()

    async def __aenter__(self) -> AsyncChatCompletionStream:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()


class Completions:
    """``client.chat.completions`` of a Client: ``client.chat.completions.create(...)``."""

    def __init__(
        self,
        *,
        prepare: Prepare,
        send: Callable[[PreparedCall], str],
        stream: Callable[[PreparedCall], PieceStream],
    ) -> None:
        self._prepare = prepare
        self._send = send
        self._stream = stream

    @overload
    def create(
        self,
        *,
        model: str,
        messages: MessagesParam,
        stream: Literal[False] = False,
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        **params: object,
    ) -> ChatCompletion: ...

    @overload
    def create(
        self,
        *,
        model: str,
        messages: MessagesParam,
        stream: Literal[True],
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        **params: object,
    ) -> ChatCompletionStream: ...

    @overload
    def create(
        self,
        *,
        model: str,
        messages: MessagesParam,
        stream: bool,
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        **params: object,
    ) -> Union[ChatCompletion, ChatCompletionStream]: ...

    def create(
        self,
        *,
        model: str,
        messages: MessagesParam,
        stream: bool = False,
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        **params: object,
    ) -> Union[ChatCompletion, ChatCompletionStream]:
        """Send ``messages`` and return the reply as a ChatCompletion, or a stream of chunks.

        Checked before any request: OpenAI parameters the site cannot honour (``temperature``,
        ``max_tokens``, ``tools``, ...) raise InvalidRequestError naming them; None values,
        ``n=1`` and ``logprobs=False`` are accepted.

        Example::

            completion = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
            )
            print(completion.choices[0].message.content)

        Args:
            model: a model name or alias, e.g. ``"gpt-4o-mini"``.
            messages: ``{"role", "content"}`` mappings (roles system, developer, user,
                assistant); content is a str or OpenAI ``text`` parts (joined with newlines)
                and, in the last user message, ``image_url`` parts. Replies pass back as they are.
            stream: True for a ChatCompletionStream of chunks.
            bot_id, timeout, extra_headers: as for ``Client.create``.
            params: OpenAI parameters; each one the site cannot honour is refused by name.

        Raises:
            InvalidRequestError: an unsupported parameter or a bad message, before any request.
            APIError: its subclasses, after retries, for everything the site did wrong.
        """
        call = self._prepare(
            model,
            prepare_messages(messages, stream, params),
            bot_id=bot_id,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        if stream:
            return ChatCompletionStream(self._stream(call), call.model)
        return build_completion(self._send(call), call.model)


class AsyncCompletions:
    """``client.chat.completions`` of an AsyncClient: ``await ....completions.create(...)``."""

    def __init__(
        self,
        *,
        prepare: Prepare,
        send: Callable[[PreparedCall], Awaitable[str]],
        stream: Callable[[PreparedCall], AsyncPieceStream],
    ) -> None:
        self._prepare = prepare
        self._send = send
        self._stream = stream

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: MessagesParam,
        stream: Literal[False] = False,
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        **params: object,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: MessagesParam,
        stream: Literal[True],
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        **params: object,
    ) -> AsyncChatCompletionStream: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: MessagesParam,
        stream: bool,
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        **params: object,
    ) -> Union[ChatCompletion, AsyncChatCompletionStream]: ...

    async def create(
        self,
        *,
        model: str,
        messages: MessagesParam,
        stream: bool = False,
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        **params: object,
    ) -> Union[ChatCompletion, AsyncChatCompletionStream]:
        """Send ``messages`` and return the reply as a ChatCompletion, or a stream of chunks.

        As ``Client.chat.completions.create``, awaited; ``stream=True`` gives an
        AsyncChatCompletionStream.

        Example::

            async for chunk in await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
            ):
                print(chunk.choices[0].delta.content or "", end="")
        """
        call = self._prepare(
            model,
            prepare_messages(messages, stream, params),
            bot_id=bot_id,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        if stream:
            return AsyncChatCompletionStream(self._stream(call), call.model)
        return build_completion(await self._send(call), call.model)


class Chat:
    """``client.chat`` of a Client, as in openai-python: ``client.chat.completions.create(...)``."""

    def __init__(
        self,
        *,
        prepare: Prepare,
        send: Callable[[PreparedCall], str],
        stream: Callable[[PreparedCall], PieceStream],
    ) -> None:
        self.completions = Completions(prepare=prepare, send=send, stream=stream)


class AsyncChat:
    """``client.chat`` of an AsyncClient: ``await client.chat.completions.create(...)``."""

    def __init__(
        self,
        *,
        prepare: Prepare,
        send: Callable[[PreparedCall], Awaitable[str]],
        stream: Callable[[PreparedCall], AsyncPieceStream],
    ) -> None:
        self.completions = AsyncCompletions(prepare=prepare, send=send, stream=stream)
