"""Server-built installers: configurations made from the dashboard or API, each with a
scoped enrollment token and a revocable public URL, built on demand from a cached base."""
