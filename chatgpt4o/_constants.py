"""Every default in one place: site, timeouts, retry budget, cache age, size caps, headers."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://chatgpt4o.one"
AJAX_PATH = "/wp-admin/admin-ajax.php"

DEFAULT_TIMEOUT = 120.0  # seconds; model replies through WordPress can be slow
DEFAULT_MAX_RETRIES = 2
MAX_RETRIES_LIMIT = 10

# Nonces live 12-24 h; refresh well before the shortest life so a cached page never outlives it.
NONCE_MAX_AGE = 3600.0

BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 8.0
RETRY_AFTER_CAP = 60.0
# No retry starts this long after a call's first attempt did.
RETRY_TIME_BUDGET = 300.0

MAX_PAGE_BYTES = 5 * 1024 * 1024
# A nonce cache file holds a page's chats, a few hundred bytes each; a bigger one is not ours.
MAX_NONCE_FILE_BYTES = 64 * 1024
MAX_REPLY_BYTES = 10 * 1024 * 1024
MAX_PROMPT_CHARS = 100_000
# One SSE line, one event's data, or one run of non-SSE text in a stream may not exceed this.
MAX_SSE_LINE_BYTES = 1024 * 1024

DEFAULT_HEADERS = {
    "Accept": "*/*",
    "Accept-Language": "en-US,en;q=0.9",
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"
    ),
}

ENV_BASE_URL = "CHATGPT4O_BASE_URL"
ENV_TIMEOUT = "CHATGPT4O_TIMEOUT"
ENV_PROXY = "CHATGPT4O_PROXY"
ENV_MAX_RETRIES = "CHATGPT4O_MAX_RETRIES"

# chatgpt4o serve's defaults, here so that its --help runs without the serve extra.
ENV_SERVE_API_KEY = "CHATGPT4O_SERVE_API_KEY"
SERVE_HEADER_TIMEOUT = 10.0  # seconds for a request's headers, from connect or the last reply
SERVE_KEEP_ALIVE_TIMEOUT = 5.0  # seconds an idle connection is kept after a reply
SERVE_MAX_CONNECTIONS = 512  # client connections held open, and connections to the site
