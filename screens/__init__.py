"""Lobby screens: pages, playlists and schedules, the Socket.IO namespace, the registry."""

from __future__ import annotations

from flask import Flask

from hall.extensions import socketio
from screens import (  # noqa: F401  (events registers its Socket.IO handlers)
    api,
    cli,
    demo,
    events,
    models,
    push,
    staff,
    views,
    wire,
)


def init_app(app: Flask) -> None:
    """Attach Socket.IO (threading mode; Redis message queue when configured) and register the
    pages, the state API, the push listeners, the CLI and the demo step."""
    # Flask-SocketIO keeps the message-queue manager of an earlier init_app in its options;
    # drop it so each app gets the queue its own config names (or none).
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(app, async_mode="threading",
                      message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"),
                      channel=app.config.get("SOCKETIO_CHANNEL", "gongkai-screens"),
                      transports=app.config.get("SOCKETIO_TRANSPORTS"))
    wire.install(socketio.server.eio)  # websocket writes without a thread per client
    views.init_app(app)
    api.init_app(app)
    push.init_app(app)
    cli.init_app(app)
    demo.init_app(app)
    staff.init_app(app)
