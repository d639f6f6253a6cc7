"""Serve an OpenAI-compatible API in front of an AI Power site; chat through it with openai.

Needs ``pip install "chatgpt4o[serve]" openai``. To keep the example one file, the server runs
in a background thread; in real use run ``chatgpt4o serve --base-url https://chatgpt4o.one``
and point any OpenAI client (or curl) at ``http://127.0.0.1:8000/v1``.
"""

import threading
import time

import uvicorn
from openai import OpenAI

from chatgpt4o.serve import create_app

# The ASGI app: one pooled AsyncClient for the site ($CHATGPT4O_BASE_URL, else chatgpt4o.one),
# and a key every request must carry.
app = create_app(api_key="example-key")
server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
thread = threading.Thread(target=server.run, daemon=True)
thread.start()
while not server.started:
    time.sleep(0.01)
port = server.servers[0].sockets[0].getsockname()[1]

# An unmodified OpenAI client, pointed at the server.
with OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="example-key") as client:
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Name three French cheeses."}],
    )
    print(completion.choices[0].message.content)

    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Count to five."}],
        stream=True,
    )
    for chunk in stream:
        print(chunk.choices[0].delta.content or "", end="", flush=True)
    print()

    print("models:", ", ".join(model.id for model in client.models.list()))

server.should_exit = True
thread.join()
