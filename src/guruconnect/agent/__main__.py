"""``python -m guruconnect.agent ...``: the agent's own entry point (the Windows runtime
carries the agent without the server's ``guruconnect`` command)."""

import sys

from guruconnect.agent.cli import main

sys.exit(main(sys.argv[1:]))
