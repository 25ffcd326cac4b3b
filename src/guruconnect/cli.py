"""`guruconnect`: one command, three families: server, admin, agent.

The agent family is imported on its own so an agent never loads server code.
"""

from __future__ import annotations

import sys

USAGE = """usage: guruconnect {server,admin,agent} ... [--help]

  server   run the GuruConnect server
  admin    manage this server's database directly
           (create-user, reset-mfa, list-users, create-enrollment-token)
  agent    enroll this machine, run the agent, or change its metadata
"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    family, rest = args[0], args[1:]
    if family == "agent":
        from guruconnect.agent.cli import main as agent_main

        return agent_main(rest)
    if family in ("server", "admin"):
        from guruconnect.server.cli import main as server_main

        return server_main(args)
    if family in ("--version", "version"):
        from guruconnect import __version__

        print(__version__)
        return 0
    print(f"guruconnect: unknown command {family!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
