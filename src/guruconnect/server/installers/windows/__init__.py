"""Windows installers built on Linux: the runtime (embeddable CPython + wheels), the MSI,
the NSIS EXE and its Authenticode signature with the baked config inside."""
