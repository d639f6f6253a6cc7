"""A multi-turn conversation that keeps its turns, and can be saved and restored as JSON."""

import json

import chatgpt4o

# Client() reads $CHATGPT4O_BASE_URL (default: https://chatgpt4o.one) and the other
# CHATGPT4O_* variables itself.

with chatgpt4o.Client() as client:
    chat = client.conversation(system="You are a concise travel guide.")
    for question in ["Suggest a city in Portugal.", "What should I eat there?"]:
        print(f"you> {question}\nai>  {chat.send(question)}\n")

    saved = json.dumps(chat.to_dict())  # store it anywhere
    later = client.conversation(**json.loads(saved))
    print(f"ai>  {later.send('And a day trip from there?')}")
    print(f"({len(later.turns)} turns kept)")
