"""Configure timeout, retries and a proxy (arguments win over CHATGPT4O_* variables)."""

import os

import chatgpt4o

base_url = os.environ.get("CHATGPT4O_BASE_URL", "https://chatgpt4o.one")
proxy = os.environ.get("CHATGPT4O_PROXY")  # e.g. "http://user:pass@proxy.example:8080"

with chatgpt4o.Client(base_url, timeout=30, max_retries=4, proxy=proxy) as client:
    print(client)  # the repr hides proxy passwords
    print(client.ask("Why is the sky blue? One sentence."))
