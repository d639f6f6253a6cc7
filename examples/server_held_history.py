"""A conversation whose history the site keeps (AI Puffer 2.3+), resumed later in another client.

On a current site, history="native" sends only the new turn: the server holds the thread under
the guest session id and the conversation's id. ``to_dict()`` carries both, so any client can
continue it later. (On an old AI Power site the same code sends the earlier turns in the
plugin's history field.)
"""

import json

import chatgpt4o

with chatgpt4o.Client() as client:  # the site: $CHATGPT4O_BASE_URL
    chat = client.conversation(system="You are a patient maths tutor.", history="native")
    print(f"ai>  {chat.send('What is a prime number?')}")
    saved = json.dumps(chat.to_dict())  # carries session_id and conversation_uuid: secrets

with chatgpt4o.Client() as client:  # another guest session: the saved one is used for the thread
    later = client.conversation(**json.loads(saved))
    print(f"ai>  {later.send('Is 91 one?')}")
    print(f"({len(later.turns)} turns in thread {later.conversation_uuid})")
