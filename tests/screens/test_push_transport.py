"""The screens' websocket handshake on a real port: a browser's permessage-deflate offer is
declined, so no connection keeps a zlib compressor and every push is sent as it was encoded."""

from __future__ import annotations

import base64
import os
import socket

from ..conftest import LiveServer

#: What Chromium sends (and Firefox, with the same meaning).
DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"


def _handshake(url: str, extensions: str) -> tuple[bytes, bytes]:
    """Open the Engine.IO websocket transport by hand; (response head, bytes read after it)."""
    host, port = url.removeprefix("http://").split(":")
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Extensions: {extensions}\r\n\r\n")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 2:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def test_a_browsers_deflate_offer_is_declined(live_server: LiveServer) -> None:
    head, first_frame = _handshake(live_server.url, DEFLATE_OFFER)

    assert head.startswith(b"HTTP/1.1 101"), head
    assert b"sec-websocket-extensions" not in head.lower(), head
    # The Engine.IO open packet follows as a plain text frame: FIN + text opcode, RSV1 clear.
    assert first_frame[0] == 0x81, first_frame[:2]
    length = first_frame[1] & 0x7F
    assert length < 126 and first_frame[2:3] == b"0", first_frame[:8]  # "0{...}": open
