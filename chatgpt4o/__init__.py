"""chatgpt4o: chat with GPT-4o-mini through chatgpt4o.one and other "AI Power" WordPress sites.

Example::

    import chatgpt4o

    with chatgpt4o.Client() as client:
        print(client.ask("Hello!"))

The transports (requests for ``Client``, httpx for ``AsyncClient``) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._completions import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    Choice,
    ChoiceDelta,
    ChunkChoice,
)
from ._conversation import AsyncConversation, Conversation
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    BadReplyError,
    BlockedError,
    Chatgpt4oError,
    ContentFlaggedError,
    EndpointGoneError,
    InvalidRequestError,
    InvalidRequestTypeError,
    ModelError,
    NonceError,
    RateLimitError,
    TokenError,
    TokenLimitError,
    UnsupportedPluginError,
)
from ._messages import format_prompt
from ._models import DEFAULT_MODEL, MODEL_ALIASES, MODELS
from ._version import __version__

if TYPE_CHECKING:
    from ._async_client import AsyncClient, AsyncStream
    from ._client import Client, Stream
    from ._provider import Chatgpt4o

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "MODEL_ALIASES",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncConversation",
    "AsyncStream",
    "BadReplyError",
    "BlockedError",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "Chatgpt4o",
    "Chatgpt4oError",
    "Choice",
    "ChoiceDelta",
    "ChunkChoice",
    "Client",
    "ContentFlaggedError",
    "Conversation",
    "EndpointGoneError",
    "InvalidRequestError",
    "InvalidRequestTypeError",
    "ModelError",
    "NonceError",
    "RateLimitError",
    "Stream",
    "TokenError",
    "TokenLimitError",
    "UnsupportedPluginError",
    "__version__",
    "format_prompt",
]

_LAZY = {
    "AsyncClient": "._async_client",
    "AsyncStream": "._async_client",
    "Chatgpt4o": "._provider",
    "Client": "._client",
    "Stream": "._client",
}


def __getattr__(name: str) -> Any:
    # Importing requests, httpx and bs4 costs more than the rest of the package: defer them.
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'chatgpt4o' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
