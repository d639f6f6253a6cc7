"""Code written for the OpenAI SDK: change the client line, keep the rest."""

import chatgpt4o

# client = openai.OpenAI()
client = chatgpt4o.Client()  # reads $CHATGPT4O_BASE_URL, like openai.OpenAI() reads its env

completion = client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Give me a fun fact about owls."},
    ],
)
print(completion.choices[0].message.content)

stream = client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "Count to three."}],
    stream=True,
)
for chunk in stream:
    print(chunk.choices[0].delta.content or "", end="", flush=True)
print()
client.close()
