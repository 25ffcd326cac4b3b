"""Live dashboard updates: the event bus and the dashboard WebSocket."""
