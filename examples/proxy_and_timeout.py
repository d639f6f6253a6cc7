"""Configure timeout, retries and a proxy (arguments win over CHATGPT4O_* variables)."""

import chatgpt4o

# Client() reads $CHATGPT4O_BASE_URL (default: https://chatgpt4o.one) and the other
# CHATGPT4O_* variables itself.
# $CHATGPT4O_PROXY sets a proxy, e.g. "http://user:pass@proxy.example:8080"; an argument
# (proxy="...") would win over it.

with chatgpt4o.Client(timeout=30, max_retries=4) as client:
    print(client)  # the repr hides proxy passwords
    print(client.ask("Why is the sky blue? One sentence."))
