"""Many questions at once on one AsyncClient: one connection pool, one page fetch."""

import asyncio

import chatgpt4o

# Client() reads $CHATGPT4O_BASE_URL (default: https://chatgpt4o.one) and the other
# CHATGPT4O_* variables itself.
QUESTIONS = [f"What is {n} squared?" for n in range(1, 11)]


async def main() -> None:
    limit = asyncio.Semaphore(5)  # be polite: at most 5 requests in flight

    async with chatgpt4o.AsyncClient() as client:

        async def ask(question: str) -> str:
            async with limit:
                return await client.ask(question)

        replies = await asyncio.gather(*(ask(q) for q in QUESTIONS))
        for question, reply in zip(QUESTIONS, replies):
            print(f"{question} -> {reply}")


asyncio.run(main())
