"""``python3 -m guruconnect.agent.support``: what the downloaded bundle runs."""

from __future__ import annotations

import sys

from guruconnect.agent.support.app import main

if __name__ == "__main__":
    sys.exit(main())
