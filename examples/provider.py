"""The gpt4free-style Chatgpt4o provider: create_async and the sync create_completion."""

import asyncio

from chatgpt4o import Chatgpt4o

# The provider reads $CHATGPT4O_BASE_URL too (default: https://chatgpt4o.one).
messages = [{"role": "user", "content": "Say hello in Spanish."}]

print(asyncio.run(Chatgpt4o.create_async("gpt-4o-mini", messages)))

# What gpt4free's ChatCompletion.create(..., provider=Chatgpt4o) calls:
for piece in Chatgpt4o.create_completion("", messages):
    print(piece)
