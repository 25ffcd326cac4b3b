"""Protocol version negotiation: both sides list what they speak; the highest common wins."""

from __future__ import annotations

from collections.abc import Iterable

from guruconnect.protocol.errors import CloseCode, ProtocolError

SUPPORTED_VERSIONS: tuple[int, ...] = (1,)


def negotiate(offered: Iterable[int], supported: Iterable[int] = SUPPORTED_VERSIONS) -> int:
    common = set(offered) & set(supported)
    if not common:
        raise ProtocolError(
            CloseCode.VERSION_UNSUPPORTED,
            f"no common protocol version: offered {sorted(set(offered))}, "
            f"supported {sorted(set(supported))}",
        )
    return max(common)
