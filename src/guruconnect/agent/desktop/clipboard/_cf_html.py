"""The Windows "HTML Format" clipboard payload (CF_HTML): a header of byte offsets
around the fragment. Pure functions, tested on any platform."""

from __future__ import annotations

import re

_HEADER = (
    "Version:0.9\r\nStartHTML:{0:010d}\r\nEndHTML:{1:010d}\r\n"
    "StartFragment:{2:010d}\r\nEndFragment:{3:010d}\r\n"
)
_PREFIX = b"<html><body>\r\n<!--StartFragment-->"
_SUFFIX = b"<!--EndFragment-->\r\n</body></html>"
_OFFSET = re.compile(rb"^(StartFragment|EndFragment):(-?\d+)\s*$", re.M)


def encode(html: bytes) -> bytes:
    """UTF-8 HTML fragment -> CF_HTML bytes."""
    header_len = len(_HEADER.format(0, 0, 0, 0).encode())
    start_html = header_len
    start_fragment = start_html + len(_PREFIX)
    end_fragment = start_fragment + len(html)
    end_html = end_fragment + len(_SUFFIX)
    header = _HEADER.format(start_html, end_html, start_fragment, end_fragment).encode()
    return header + _PREFIX + html + _SUFFIX


def decode(data: bytes) -> bytes:
    """CF_HTML bytes -> the UTF-8 fragment (the whole payload when offsets are missing)."""
    data = data.rstrip(b"\0")
    offsets = {name: int(value) for name, value in _OFFSET.findall(data[:1024])}
    start, end = offsets.get(b"StartFragment", -1), offsets.get(b"EndFragment", -1)
    if 0 <= start <= end <= len(data):
        return data[start:end]
    return data
