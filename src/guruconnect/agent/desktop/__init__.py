"""Remote desktop on the agent side.

The idle agent imports only ``supervisor`` from here (stdlib and protocol): it starts one
worker process per session, ``python -m guruconnect.agent.desktop``, and only that
process loads numpy, PyAV and the platform's capture and input libraries.

    supervisor  DesktopOpen/DesktopClose from the control socket -> worker processes
    worker      the media socket: hello, monitors, settings and input in, frames out
    stream      the frame loop: capture, dirty tiles, encode, send when the link is free
    control     pointer and keyboard events -> the input backend, clamped and tracked
    capture/    screen capture backends, chosen by name (x11, windows = GDI, dxgi, auto)
    input/      input injection backends, chosen by name (xtest), keyboard mapping
    encode/     H.264 (PyAV libx264) and JPEG tiles (Pillow)
"""
