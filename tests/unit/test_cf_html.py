"""The Windows "HTML Format" clipboard payload: offsets point at the fragment exactly."""

from __future__ import annotations

from guruconnect.agent.desktop.clipboard import _cf_html


def test_round_trip_with_unicode() -> None:
    html = "<p>Grüße 😀 &amp; \"quotes\"</p>".encode()
    data = _cf_html.encode(html)
    assert data.startswith(b"Version:0.9\r\nStartHTML:")
    assert _cf_html.decode(data) == html
    assert _cf_html.decode(data + b"\0") == html  # Windows may add a NUL


def test_bad_offsets_fall_back_to_the_whole_payload() -> None:
    assert _cf_html.decode(b"StartFragment:999\r\nEndFragment:5\r\n<b>x</b>").endswith(b"<b>x</b>")
