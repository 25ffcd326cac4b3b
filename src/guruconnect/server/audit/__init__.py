"""The audit log: who did what to which machine, append-only and hash-chained."""
