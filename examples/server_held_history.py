"""A conversation whose history the site keeps (AI Puffer 2.3+), resumed later under the same ids.

On a current site, history="native" sends only the new turn: the server holds the thread under
this client's guest session id and the conversation's id. Save both to continue it later. (On an
old AI Power site the same code sends the earlier turns in the plugin's history field.)
"""

import json
import uuid

import chatgpt4o

session_id = str(uuid.uuid4())  # keep it, like a browser keeps its guest id: quota counts per id

with chatgpt4o.Client(session_id=session_id) as client:  # the site: $CHATGPT4O_BASE_URL
    chat = client.conversation(system="You are a patient maths tutor.", history="native")
    print(f"ai>  {chat.send('What is a prime number?')}")
    saved = json.dumps(chat.to_dict())  # carries conversation_uuid: treat it as a secret

with chatgpt4o.Client(session_id=session_id) as client:
    later = client.conversation(**json.loads(saved))
    print(f"ai>  {later.send('Is 91 one?')}")
    print(f"({len(later.turns)} turns in thread {later.conversation_uuid})")
