"""The agent WebSocket: handshake, message handling and presence."""
