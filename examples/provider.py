"""The gpt4free-style Chatgpt4o provider: create_async and the sync create_completion."""

import asyncio
import os

from chatgpt4o import Chatgpt4o

Chatgpt4o.url = os.environ.get("CHATGPT4O_BASE_URL", Chatgpt4o.url)
messages = [{"role": "user", "content": "Say hello in Spanish."}]

print(asyncio.run(Chatgpt4o.create_async("gpt-4o-mini", messages)))

# What gpt4free's ChatCompletion.create(..., provider=Chatgpt4o) calls:
for piece in Chatgpt4o.create_completion("", messages):
    print(piece)
