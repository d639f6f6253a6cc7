"""Test your own code against chatgpt4o.testing.LocalSite instead of the live site.

With pytest, use the ``chatgpt4o_site`` fixture instead of the ``with`` block.
"""

import chatgpt4o
from chatgpt4o.testing import LocalSite


def summarize(client: chatgpt4o.Client, text: str) -> str:
    """The code under test: it uses the SDK like any application would."""
    return client.ask(f"Summarize: {text}")


with LocalSite("1.9.18") as site, chatgpt4o.Client(site.url) as client:
    assert summarize(client, "a long text") == "Echo: Summarize: a long text"
    assert site.posts[-1].fields["message"] == "Summarize: a long text"

    site.inject("rate_limit", retry_after="0")  # the next POST gets a 429 first
    assert summarize(client, "again") == "Echo: Summarize: again"
    print(f"ok: {len(site.posts)} posts, {site.page_fetches} page fetch")
