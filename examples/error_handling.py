"""Catch what can go wrong, from the most specific error to the base class."""

import sys

import chatgpt4o

# Client() reads $CHATGPT4O_BASE_URL (default: https://chatgpt4o.one) and the other
# CHATGPT4O_* variables itself.

with chatgpt4o.Client() as client:
    try:
        client.create("gpt-5", "Hi")
    except chatgpt4o.ModelError as exc:
        print("bad model, caught before any request:", exc)

    try:
        print(client.ask("Tell me a fun fact about octopuses."))
    except chatgpt4o.BlockedError:
        sys.exit("The site is behind a Cloudflare challenge; try later or via a proxy.")
    except chatgpt4o.RateLimitError as exc:
        sys.exit(f"Rate limited; retry after {exc.retry_after} s.")
    except chatgpt4o.APIConnectionError as exc:
        sys.exit(f"Network problem: {exc}")
    except chatgpt4o.PluginError as exc:
        sys.exit(f"The site refused: {exc.msg}")
    except chatgpt4o.APIError as exc:  # every other failure of the site or the network
        sys.exit(f"Chat failed: {exc}")
