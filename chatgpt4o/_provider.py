"""Chatgpt4o: gpt4free's original provider interface, rebuilt on AsyncClient."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Iterator, Mapping
from typing import Any, ClassVar, Optional, Union

from ._async_client import AsyncClient
from ._base import log
from ._constants import DEFAULT_BASE_URL
from ._images import ImageInput, ImageSource, load_image
from ._messages import Messages
from ._models import DEFAULT_MODEL, MODEL_ALIASES, MODELS, resolve_model
from ._provider_pool import ClientPools

_POOLS = ClientPools()

__all__ = ["Chatgpt4o"]


class _DefaultTimeout(int):
    """The 120 of the original signature, told apart from an explicit 120 (see create_async)."""


DEFAULT_TIMEOUT_ARGUMENT = _DefaultTimeout(120)


class Chatgpt4o:
    """The gpt4free ``Chatgpt4o`` provider, with its defects fixed.

    Example::

        reply = await Chatgpt4o.create_async("gpt-4o-mini", [{"role": "user", "content": "Hi"}])

    Point ``Chatgpt4o.url`` at another AI Power site to use that one (or set
    ``$CHATGPT4O_BASE_URL`` and leave ``url`` as it is). Calls in one event loop share one
    pooled client per site, proxy and cookies; nonces are cached per site and cookies across
    loops (refreshed by age and whenever the site rejects the nonce), and concurrent cold calls
    fetch the page once. The class attributes are those gpt4free's 2024 providers carry
    (``AsyncProvider`` and ``ProviderModelMixin``), so gpt4free drives it as its own.
    """

    url: ClassVar[str] = DEFAULT_BASE_URL
    label: ClassVar[Optional[str]] = "ChatGPT4o (AI Power sites)"
    working: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = False
    supports_stream: ClassVar[bool] = True
    supports_message_history: ClassVar[bool] = True
    supports_system_message: ClassVar[bool] = True
    supports_gpt_35_turbo: ClassVar[bool] = False
    supports_gpt_4: ClassVar[bool] = True
    live: ClassVar[int] = 0
    use_stream_timeout: ClassVar[bool] = False  # the client applies its own timeout per read
    default_model: ClassVar[str] = DEFAULT_MODEL
    models: ClassVar[list[str]] = list(MODELS)
    model_aliases: ClassVar[dict[str, str]] = dict(MODEL_ALIASES)

    @classmethod
    def get_models(cls) -> list[str]:
        """The model names this provider accepts (without aliases)."""
        return list(cls.models)

    @classmethod
    def get_model(cls, model: str) -> str:
        """Resolve ``model``: ``""`` gives ``default_model``, an alias its target.

        Raises:
            ModelError: an unknown model (a ValueError, listing the valid names).
        """
        return resolve_model(
            model, default=cls.default_model, models=cls.models, aliases=cls.model_aliases
        )

    @classmethod
    def get_dict(cls) -> dict[str, Optional[str]]:
        """The provider's name, URL and label, as gpt4free's client reports them."""
        return {"name": cls.__name__, "url": cls.url, "label": cls.label}

    @classmethod
    def get_parent(cls) -> str:
        """The provider family's name (gpt4free groups providers by it)."""
        return cls.__name__

    @classmethod
    async def create_async(
        cls,
        model: str,
        messages: Messages,
        proxy: Optional[str] = None,
        timeout: Union[int, float] = DEFAULT_TIMEOUT_ARGUMENT,
        cookies: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> str:
        """Send ``messages`` to ``cls.url`` and return the reply text.

        Args:
            model: a model name or alias; ``""`` for the default.
            messages: a list of ``{"role", "content"}`` dicts (flattened with format_prompt).
            proxy: a proxy URL.
            timeout: seconds each request may take, its whole reply included; when not given,
                120 unless ``$CHATGPT4O_TIMEOUT`` says otherwise.
            cookies: cookies to send to the site.
            kwargs: ``media`` (gpt4free's current clients) or ``images`` (older ones):
                pictures for the last user message, a list of ``(data, filename)`` pairs
                where data is bytes, a path, a binary file or a ``data:`` URL; the filename
                is ignored and the type read from the bytes. Anything else is accepted for
                gpt4free compatibility and ignored (logged at debug level).

        Raises:
            APIError: a typed error (see chatgpt4o._exceptions), still a RuntimeError.
            ImagesNotSupportedError: pictures for a bot whose page offers no image upload.
        """
        client, model, options = cls._prepare(model, proxy, timeout, cookies, kwargs)
        return await client.create(model, messages, **options)

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Messages,
        proxy: Optional[str] = None,
        timeout: Union[int, float] = DEFAULT_TIMEOUT_ARGUMENT,
        cookies: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> AsyncGenerator[str, None]:
        """Yield the reply's text pieces as the site sends them (gpt4free's streaming style).

        Example::

            async for piece in Chatgpt4o.create_async_generator("", messages):
                print(piece, end="")

        Arguments (``media`` pictures too) and errors as for create_async(); a site that does
        not stream yields its whole reply once.
        """
        client, model, options = cls._prepare(model, proxy, timeout, cookies, kwargs)
        async with client.stream(model, messages, **options) as stream:
            async for piece in stream:
                yield piece

    @classmethod
    def create_completion(
        cls, model: str, messages: Messages, stream: bool = False, **kwargs: Any
    ) -> Iterator[str]:
        """Yield the reply from synchronous code: piece by piece with ``stream=True``.

        Raises:
            RuntimeError: called from inside a running event loop; use the async methods.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError(
                f"{cls.__name__}.create_completion() cannot run inside a running event loop; "
                f"use 'await {cls.__name__}.create_async(...)' there instead"
            )
        loop = asyncio.new_event_loop()
        if stream:
            pieces = cls.create_async_generator(model, messages, **kwargs)
        else:
            pieces = _once(cls.create_async(model, messages, **kwargs))
        try:
            while True:
                try:
                    yield loop.run_until_complete(pieces.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            loop.run_until_complete(pieces.aclose())
            loop.run_until_complete(_POOLS.close_loop(loop))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    @classmethod
    def _prepare(
        cls,
        model: str,
        proxy: Optional[str],
        timeout: Union[int, float],
        cookies: Optional[Mapping[str, str]],
        kwargs: dict[str, Any],
    ) -> tuple[AsyncClient, str, dict[str, Any]]:
        """The pooled client, the model and the call's options; logs what it ignores."""
        model = cls.get_model(model)
        client = _POOLS.client(None if cls.url == DEFAULT_BASE_URL else cls.url, proxy, cookies)
        images = _pictures(kwargs, client.settings.max_image_bytes)
        if kwargs:
            log.debug("%s ignores %s", cls.__name__, ", ".join(sorted(kwargs)))
        # Not given: the client's own timeout, which honours $CHATGPT4O_TIMEOUT.
        options = {"timeout": None if timeout is DEFAULT_TIMEOUT_ARGUMENT else timeout}
        return client, model, {**options, "images": images}


async def _once(reply: Awaitable[str]) -> AsyncGenerator[str, None]:
    yield await reply


def _pictures(kwargs: dict[str, Any], max_bytes: int) -> tuple[ImageInput, ...]:
    """Pop gpt4free's ``media`` and ``images`` (``(data, filename)`` pairs) out of ``kwargs``."""
    pictures: list[ImageSource] = []
    for name in ("media", "images"):
        items = kwargs.pop(name, None)
        if items is None:
            continue
        if not isinstance(items, (list, tuple)):
            items = [items]
        for index, item in enumerate(items):
            data = item[0] if isinstance(item, (list, tuple)) and len(item) == 2 else item
            pictures.append(load_image(data, field=f"{name}[{index}]", max_bytes=max_bytes))
    # load_image() refuses remote URLs (fetch_urls is off), so each is an ImageInput.
    return tuple(picture for picture in pictures if isinstance(picture, ImageInput))
