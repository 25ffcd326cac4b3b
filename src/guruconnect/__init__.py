"""GuruConnect: self-hosted remote support and remote management for MSPs."""

__version__ = "0.1.0"
__all__ = ["__version__"]
