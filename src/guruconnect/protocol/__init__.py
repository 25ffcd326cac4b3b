"""The agent wire protocol: messages, framing and version negotiation.

Nothing here touches a socket, so every rule can be tested and fuzzed offline.
"""

from guruconnect.protocol.codec import MAX_FRAME_BYTES, decode_agent, decode_server, encode
from guruconnect.protocol.errors import CloseCode, ProtocolError
from guruconnect.protocol.messages import (
    AgentHello,
    AgentMessage,
    Heartbeat,
    HeartbeatAck,
    Inventory,
    InventoryDisk,
    InventoryInterface,
    MetadataUpdate,
    ServerHello,
    ServerMessage,
    Welcome,
)
from guruconnect.protocol.version import SUPPORTED_VERSIONS, negotiate

__all__ = [
    "MAX_FRAME_BYTES",
    "SUPPORTED_VERSIONS",
    "AgentHello",
    "AgentMessage",
    "CloseCode",
    "Heartbeat",
    "HeartbeatAck",
    "Inventory",
    "InventoryDisk",
    "InventoryInterface",
    "MetadataUpdate",
    "ProtocolError",
    "ServerHello",
    "ServerMessage",
    "Welcome",
    "decode_agent",
    "decode_server",
    "encode",
    "negotiate",
]
