"""What the serve fixtures hand out: running servers in front of stand-in sites, and clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import openai

import chatgpt4o
from chatgpt4o.serve import create_app
from chatgpt4o.testing import LocalSite

from ._profiles import API_KEY, CLIENT_TIMEOUT
from ._server import ServerThread


@dataclass
class Served:
    """A running server in front of a stand-in site, and OpenAI clients for it.

    Attributes:
        server: the uvicorn server thread.
        site: the stand-in site behind it.
    """

    server: ServerThread
    site: LocalSite
    _clients: list[openai.OpenAI] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The server's ``/v1`` base URL, as OpenAI clients take it."""
        return self.server.url + "/v1"

    def sync_client(self, **options: Any) -> openai.OpenAI:
        """An ``OpenAI`` client for the server (closed after the test); no retries."""
        options = {"api_key": API_KEY, "max_retries": 0, **options}
        client = openai.OpenAI(base_url=self.url, **options)
        self._clients.append(client)
        return client

    def async_client(self, **options: Any) -> openai.AsyncOpenAI:
        """An ``AsyncOpenAI`` client for the server; use it as ``async with``."""
        options = {"api_key": API_KEY, "max_retries": 0, **options}
        return openai.AsyncOpenAI(base_url=self.url, **options)

    def close(self) -> None:
        for client in self._clients:
            client.close()


Serve = Callable[..., Served]
"""The ``serve`` fixture: ``serve(profile="1.9.18", *, stream=False)``."""


Variant = tuple[str, bool]
"""A stand-in site variant: (profile, the site's streaming switch)."""


class Running:
    """The sites and servers of a session, one of each per site variant.

    A variant's streaming switch is fixed for the session: the current plugin's page tells
    the client whether the site streams, and the server's client caches the page.
    """

    def __init__(self) -> None:
        self.sites: dict[Variant, LocalSite] = {}
        self.servers: dict[Variant, ServerThread] = {}

    def site(self, variant: Variant) -> LocalSite:
        site = self.sites.get(variant)
        if site is None:
            profile, stream = variant
            site = self.sites[variant] = LocalSite(profile, stream=stream).start()
        return site

    def server(self, variant: Variant) -> ServerThread:
        server = self.servers.get(variant)
        if server is None:
            client = chatgpt4o.AsyncClient(
                self.site(variant).url, timeout=CLIENT_TIMEOUT, max_retries=0, verify=False
            )
            app = create_app(client=client, api_key=API_KEY)
            server = self.servers[variant] = ServerThread(app).start()
        return server

    def close(self) -> None:
        for server in self.servers.values():
            server.call(server.state.client.aclose())
            server.stop()
        for site in self.sites.values():
            site.stop()
