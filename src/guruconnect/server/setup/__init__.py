"""First-start setup: the one-time bootstrap token that creates the first administrator."""
