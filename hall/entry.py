"""The ``gongkai`` command: Flask's CLI bound to this project's app factory."""

from __future__ import annotations

from flask.cli import FlaskGroup

from hall.app import create_app
from hall.cli import run_command


def main() -> None:
    group = FlaskGroup(
        create_app=create_app,
        name="gongkai",
        help="gongkai 政务公开专区服务器 — run the hall, manage its database and content.",
        add_default_commands=False,
        add_version_option=False,
    )
    group.add_command(run_command)
    group.main(prog_name="gongkai")


if __name__ == "__main__":
    main()
