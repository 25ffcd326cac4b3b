"""Installing the unattended agent on Linux from a server-built installer (.sh or .deb):
files under a prefix, enrollment with the baked token, the systemd unit, reconfigure and
uninstall. The Windows MSI/EXE will drive the same steps through its own service code."""
