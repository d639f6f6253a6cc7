"""Pictures through the gpt4free-style Chatgpt4o provider, as gpt4free hands them over.

gpt4free's clients pass `media=[(data, filename)]` (older ones `images=`); data is bytes, a
path, a binary file or a data: URL, and the type is read from the bytes, not the filename. The
site's bot must offer image upload (see pictures.py).
"""

import asyncio
from pathlib import Path

from chatgpt4o import Chatgpt4o

picture = Path(__file__).with_name("red_dot.png")
messages = [{"role": "user", "content": "What is in this picture?"}]


async def main() -> None:
    # What gpt4free's AsyncClient calls, with the pieces as they arrive.
    pieces = Chatgpt4o.create_async_generator("", messages, media=[(picture.read_bytes(), "a.png")])
    print("".join([piece async for piece in pieces]))


asyncio.run(main())

# From synchronous code, with the older images= and a path.
print("".join(Chatgpt4o.create_completion("", messages, images=[(str(picture), "red_dot.png")])))
