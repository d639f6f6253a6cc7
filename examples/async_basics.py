"""Ask a question from asyncio code with AsyncClient."""

import asyncio
import os

import chatgpt4o

base_url = os.environ.get("CHATGPT4O_BASE_URL", "https://chatgpt4o.one")


async def main() -> None:
    async with chatgpt4o.AsyncClient(base_url) as client:
        print(await client.ask("Name three Italian cheeses."))


asyncio.run(main())
