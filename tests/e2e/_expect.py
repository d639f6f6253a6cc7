"""What the plugin of each era makes of a message, for the tests that check echoed replies."""

from __future__ import annotations

MESSAGE = '<b>bold</b> "quoted" it\'s\nnext  line & café 100%'
# Up to 1.8.90 the plugin reads the message with magic quotes and sanitize_text_field: tags
# stripped, whitespace runs folded to one space, the backslashes of magic quotes kept. From
# 1.8.96 it is raw.
SANITIZED = 'bold \\"quoted\\" it\\\'s next line & café 100%'
# The current plugin keeps the message raw (only invalid UTF-8 and NUL are removed).
SEEN = {
    "1.7": SANITIZED,
    "1.8.79": SANITIZED,
    "1.9.18": MESSAGE,
    "widget": MESSAGE,
    "2.3.20": MESSAGE,
    "2.4.0": MESSAGE,
    "2.4.71": MESSAGE,
}

CONVERSATION = [
    {"role": "system", "content": "Be brief"},
    {"role": "user", "content": "Hi"},
]
# Flattened as gpt4free did; the older eras fold its newlines.
FLAT = "System: Be brief\nUser: Hi\nAssistant:"
FLAT_SEEN = {
    "1.7": "System: Be brief User: Hi Assistant:",
    "1.8.79": "System: Be brief User: Hi Assistant:",
    "1.9.18": FLAT,
    "widget": FLAT,
    "2.3.20": FLAT,
    "2.4.0": FLAT,
    "2.4.71": FLAT,
}
