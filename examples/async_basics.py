"""Ask a question from asyncio code with AsyncClient."""

import asyncio

import chatgpt4o

# Client() reads $CHATGPT4O_BASE_URL (default: https://chatgpt4o.one) and the other
# CHATGPT4O_* variables itself.


async def main() -> None:
    async with chatgpt4o.AsyncClient() as client:
        print(await client.ask("Name three Italian cheeses."))


asyncio.run(main())
