"""Ask a question from a plain script with the synchronous Client."""

import os

import chatgpt4o

base_url = os.environ.get("CHATGPT4O_BASE_URL", "https://chatgpt4o.one")

with chatgpt4o.Client(base_url) as client:
    print(client.ask("Name three French cheeses."))

    reply = client.create(
        "gpt-4o-mini",
        [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "What is the capital of Italy?"},
        ],
    )
    print(reply)
