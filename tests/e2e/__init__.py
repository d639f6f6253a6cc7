"""End-to-end tests: Client, AsyncClient and Chatgpt4o over real sockets against LocalSite."""
