"""Print a reply as it is generated, sync and async."""

import asyncio
import os

import chatgpt4o

base_url = os.environ.get("CHATGPT4O_BASE_URL", "https://chatgpt4o.one")

with chatgpt4o.Client(base_url) as client:
    with client.stream("gpt-4o-mini", "Write a haiku about the sea.") as stream:
        for piece in stream:
            print(piece, end="", flush=True)
    print()


async def main() -> None:
    async with chatgpt4o.AsyncClient(base_url) as client:
        async with client.stream(None, "Write a haiku about mountains.") as stream:
            async for piece in stream:
                print(piece, end="", flush=True)
        print()


asyncio.run(main())
