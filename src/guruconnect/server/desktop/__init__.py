"""Remote desktop: relaying the agent's screen to viewers and their input back.

viewer_socket   /ws/viewer/{machine}: authenticate, then parse -> authorize -> handle
media_socket    /ws/media: the agent's desktop worker, authenticated by a one-time token
session         one DesktopSession per machine: its worker, its viewers, who controls
outbox          per-viewer sending with "newest frame wins" backpressure
authorize       what each viewer may send, and clamping of what it sends
"""
