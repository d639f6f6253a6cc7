"""Print a reply as it is generated, sync and async."""

import asyncio

import chatgpt4o

# Client() reads $CHATGPT4O_BASE_URL (default: https://chatgpt4o.one) and the other
# CHATGPT4O_* variables itself.

with chatgpt4o.Client() as client:
    with client.stream("gpt-4o-mini", "Write a haiku about the sea.") as stream:
        for piece in stream:
            print(piece, end="", flush=True)
    print()


async def main() -> None:
    async with chatgpt4o.AsyncClient() as client:
        async with client.stream(None, "Write a haiku about mountains.") as stream:
            async for piece in stream:
                print(piece, end="", flush=True)
        print()


asyncio.run(main())
