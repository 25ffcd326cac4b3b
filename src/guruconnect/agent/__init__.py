"""The GuruConnect endpoint agent: enrollment, local config, inventory and the server link.

Kept deliberately light: an idle agent on every managed machine must not cost much
memory, so nothing here imports web frameworks, HTTP client libraries or numpy.
"""
