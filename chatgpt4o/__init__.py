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
from ._disk_cache import DiskNonceCache
from ._exceptions import (
    AccessDeniedError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    BadReplyError,
    BlockedError,
    BotNotFoundError,
    Chatgpt4oError,
    ChatPageError,
    ClientClosedError,
    ContentFlaggedError,
    EndpointGoneError,
    ImageRejectedError,
    ImagesNotSupportedError,
    ImageTooLargeError,
    ImageTooLargeForSiteError,
    InvalidImageError,
    InvalidRequestError,
    InvalidRequestTypeError,
    ModelError,
    NonceError,
    PluginError,
    RateLimitError,
    TokenLimitError,
    UnsupportedPluginError,
    UpstreamError,
)
from ._messages import format_prompt
from ._models import DEFAULT_MODEL, MODEL_ALIASES, MODELS
from ._nonce_cache import NonceCache, NonceCacheState
from ._resources import AsyncChatCompletionStream, ChatCompletionStream
from ._streams import AsyncStream, Stream
from ._version import __version__

if TYPE_CHECKING:
    from ._async_client import AsyncClient
    from ._client import Client
    from ._provider import Chatgpt4o

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "MODEL_ALIASES",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AccessDeniedError",
    "AsyncChatCompletionStream",
    "AsyncClient",
    "AsyncConversation",
    "AsyncStream",
    "BadReplyError",
    "BlockedError",
    "BotNotFoundError",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionStream",
    "ChatPageError",
    "Chatgpt4o",
    "Chatgpt4oError",
    "Choice",
    "ChoiceDelta",
    "ChunkChoice",
    "Client",
    "ClientClosedError",
    "ContentFlaggedError",
    "Conversation",
    "DiskNonceCache",
    "EndpointGoneError",
    "ImageRejectedError",
    "ImageTooLargeError",
    "ImageTooLargeForSiteError",
    "ImagesNotSupportedError",
    "InvalidImageError",
    "InvalidRequestError",
    "InvalidRequestTypeError",
    "ModelError",
    "NonceCache",
    "NonceCacheState",
    "NonceError",
    "PluginError",
    "RateLimitError",
    "Stream",
    "TokenLimitError",
    "UnsupportedPluginError",
    "UpstreamError",
    "__version__",
    "format_prompt",
]

_LAZY = {
    "AsyncClient": "._async_client",
    "Chatgpt4o": "._provider",
    "Client": "._client",
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
