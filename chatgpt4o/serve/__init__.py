"""chatgpt4o.serve: an OpenAI-compatible HTTP endpoint in front of an AI Power site.

Any OpenAI client (openai-python, the openai npm package, LangChain, curl) can then chat through
the site: point it at ``http://127.0.0.1:8000/v1``. It needs the ``serve`` extra::

    pip install "chatgpt4o[serve]"
    chatgpt4o serve --base-url https://chatgpt4o.one --api-key s3cret

or, from Python, mount or run the ASGI app::

    import uvicorn
    from chatgpt4o.serve import create_app

    uvicorn.run(create_app("https://chatgpt4o.one"), host="127.0.0.1", port=8000)

Routes: ``POST /v1/chat/completions`` (``stream`` true or false), ``GET /v1/models``,
``GET /v1/models/{id}``, ``GET /health``. Importing this package loads neither Starlette nor
uvicorn; ``create_app`` and ``main`` load them on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import ServerState, create_app
    from ._cli import main

__all__ = ["ServerState", "create_app", "main"]

_LAZY = {"create_app": "._app", "ServerState": "._app", "main": "._cli"}


def __getattr__(name: str) -> Any:
    # Starlette is only needed once an app is made; main() must run without it to say so.
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'chatgpt4o.serve' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
