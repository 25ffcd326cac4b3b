"""HTTP plumbing shared by every domain: client addresses, headers, Origin checks."""
