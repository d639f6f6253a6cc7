"""Ask a question from a plain script with the synchronous Client."""

import chatgpt4o

# Client() reads $CHATGPT4O_BASE_URL (default: https://chatgpt4o.one) and the other
# CHATGPT4O_* variables itself.

with chatgpt4o.Client() as client:
    print(client.ask("Name three French cheeses."))

    reply = client.create(
        "gpt-4o-mini",
        [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "What is the capital of Italy?"},
        ],
    )
    print(reply)
