"""The one-time attended support agent: a small window, consent, chat, and screen sharing
through the existing desktop worker; it removes itself when the session ends.

Run from the bundle the portal hands out (``python3 -m guruconnect.agent.support``), or
``guruconnect agent support --config FILE`` for development. Layout: config.py (the
baked config), link.py (the /ws/support socket), state.py + window.py (what the user
sees), desktop.py (consent-gated desktop worker), cleanup.py (self-removal), app.py
(the threads and signals that hold it together).
"""
