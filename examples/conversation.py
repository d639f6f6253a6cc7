"""A multi-turn conversation: keep the turns and send them all each time."""

import os

import chatgpt4o

base_url = os.environ.get("CHATGPT4O_BASE_URL", "https://chatgpt4o.one")
history = [{"role": "system", "content": "You are a concise travel guide."}]

with chatgpt4o.Client(base_url) as client:
    for question in ["Suggest a city in Portugal.", "What should I eat there?"]:
        history.append({"role": "user", "content": question})
        reply = client.create("gpt-4o-mini", history)
        history.append({"role": "assistant", "content": reply})
        print(f"you> {question}\nai>  {reply}\n")
