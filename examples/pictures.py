"""Ask about a picture through every entry point of both clients.

The site must offer image upload on the bot (an attach button in its chat; `chatgpt4o doctor
URL` says which bots take pictures); elsewhere the calls raise ImagesNotSupportedError before
anything is sent. Pictures are JPEG, PNG or WEBP, up to 5 MiB unless the client is given
max_image_bytes=, at most 4 per message (1 on AI Puffer 2.4.0 and older).
"""

import asyncio
import base64
from pathlib import Path

import chatgpt4o

# A 16x16 PNG shipped with the examples; any photo of yours works the same way.
picture = Path(__file__).with_name("red_dot.png")

with chatgpt4o.Client() as client:
    # images= takes a path, bytes, a binary file, a data: URL, or a list of up to 4.
    print(client.ask("What colour is the dot?", images=picture))
    print(client.create(None, [{"role": "user", "content": "Describe it."}], images=[picture]))

    # A conversation sends the picture with one turn; later turns are text.
    chat = client.conversation()
    print(chat.send("", images=picture.read_bytes()))  # no words: "What is in this image?"
    print(chat.send("Is it round?"))

    # OpenAI style: an image_url content part in the last user message.
    data_url = "data:image/png;base64," + base64.b64encode(picture.read_bytes()).decode()
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What shape is in the picture?"},
                    {"type": "image_url", "image_url": {"url": data_url}},
                ],
            }
        ],
    )
    print(completion.choices[0].message.content)


async def main() -> None:
    async with chatgpt4o.AsyncClient() as client:
        with picture.open("rb") as file:
            print(await client.ask("Async: what is in it?", images=file))
        async with client.stream(None, "Async, streamed: and now?", images=picture) as stream:
            print("".join([piece async for piece in stream]))


asyncio.run(main())
