"""Attended support sessions: codes, the public portal, the one-time agent's socket.

codes       random codes and join tokens
lifecycle   the session state machine (illegal transitions raise)
service     database rules: create, join, consent, chat, end, expiry
hub         this process's live one-time agent sockets and reconnect grace timers
events      live updates for technicians' dashboards (bus channel "support")
routes      the technicians' REST API, /api/v1/support-sessions
live        /ws/support-live: a technician's live list and chat
portal      the public portal page, POST /api/v1/portal/join, the agent download
socket      /ws/support: the one-time agent
desktop     lets the remote-desktop viewer reach a consented session's screen
bundle      builds the Linux one-time agent file (support-agent helper)
"""
