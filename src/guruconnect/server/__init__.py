"""The GuruConnect server: REST API, dashboard, and the agent and dashboard WebSockets."""
