"""The web channel: the HTTP chat API (the WebSocket and widget come with the web issue)."""
