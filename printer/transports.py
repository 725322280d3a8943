"""Transports: where bytes go. One small protocol, picked from a plain config mapping.

``make_transport({"transport": "network", "host": "10.0.0.21"})`` and friends; see
:data:`TRANSPORTS`. Every operation that talks to a device is bounded by ``timeout``
(default 3 s): a silent printer makes a call fail, never hang.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import serial
from escpos.printer import Usb

from printer import status as escpos_status
from printer.status import Status

DEFAULT_TIMEOUT = 3.0


class PrinterError(Exception):
    """A job could not be handed to the printer; the message says why (in English)."""


class Transport(Protocol):
    """Something that takes ESC/POS bytes to a printer."""

    def send(self, data: bytes) -> None:
        """Hand ``data`` to the printer.

        :raises PrinterError: when it could not (the job may be retried).
        """

    def status(self) -> Status:
        """Ask the printer how it is; never raises, says ``unknown`` where it cannot ask."""
        ...

    def close(self) -> None:
        """Release the device."""


def _read_replies(read: Callable[[int], bytes], deadline: float) -> dict[int, int]:
    """Collect up to four ``DLE EOT`` answers until ``deadline`` (``read`` may time out)."""
    replies: list[int] = []
    while len(replies) < len(escpos_status.QUERIES) and time.monotonic() < deadline:
        try:
            chunk = read(len(escpos_status.QUERIES) - len(replies))
        except TimeoutError:
            break
        if not chunk:
            break
        replies += [byte for byte in chunk if escpos_status.is_reply(byte)]
    return dict(zip(escpos_status.QUERIES, replies, strict=False))


class NetworkTransport:
    """Raw TCP (port 9100): a connection per job or status query, each step bounded by
    ``timeout``. With ``check_status`` (default), a job is sent only after the printer has
    answered ``DLE EOT`` and said it is ready, so paper out fails fast and nothing is
    printed twice on retry."""

    def __init__(self, host: str, port: int = 9100, timeout: float = DEFAULT_TIMEOUT,
                 check_status: bool = True) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.check_status = check_status

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> NetworkTransport:
        """Keys: ``host`` (required), ``port`` (9100), ``timeout`` (3), ``check_status``."""
        host = str(config.get("host") or "")
        if not host:
            raise ValueError("a network printer needs a host")
        return cls(host, _int(config, "port", 9100), _float(config, "timeout", DEFAULT_TIMEOUT),
                   _bool(config, "check_status", True))

    def _connect(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise PrinterError(f"cannot connect to {self.host}:{self.port}: {_reason(exc)}"
                               ) from exc

    def _query(self, conn: socket.socket) -> Status:
        deadline = time.monotonic() + self.timeout
        conn.sendall(escpos_status.QUERY_BYTES)

        def read(n: int) -> bytes:
            conn.settimeout(max(deadline - time.monotonic(), 0.001))
            return conn.recv(n)

        replies = _read_replies(read, deadline)
        if not replies:
            return Status(error=f"no answer to the status query within {self.timeout:g} s")
        return escpos_status.parse(replies)

    def send(self, data: bytes) -> None:
        """Connect, check status (unless disabled), send; all within the timeouts."""
        with self._connect() as conn:
            try:
                if self.check_status:
                    state = self._query(conn)
                    if not state.ready:
                        raise PrinterError(f"printer not ready: {state.problem or 'unknown'}")
                conn.settimeout(self.timeout)
                conn.sendall(data)
                conn.shutdown(socket.SHUT_WR)
                _drain(conn)
            except OSError as exc:
                raise PrinterError(f"sending to {self.host}:{self.port} failed: {_reason(exc)}"
                                   ) from exc

    def status(self) -> Status:
        """Ask ``DLE EOT 1-4``; offline with the reason when the printer cannot be reached."""
        try:
            with self._connect() as conn:
                return self._query(conn)
        except PrinterError as exc:
            return Status(online=False, error=str(exc))
        except OSError as exc:
            return Status(error=f"status query failed: {_reason(exc)}")

    def close(self) -> None:
        """Nothing stays open between calls."""


class SerialTransport:
    """A serial port (pyserial), opened on first use and kept open until :meth:`close`.

    ``port`` is a device (``/dev/ttyUSB0``, ``COM3``) or any pyserial URL
    (``socket://host:port`` reaches a serial-to-network adapter, or the virtual printer).
    """

    def __init__(self, port: str, baudrate: int = 9600, timeout: float = DEFAULT_TIMEOUT,
                 rtscts: bool = False, xonxoff: bool = False) -> None:
        self.port, self.baudrate, self.timeout = port, baudrate, timeout
        self.rtscts, self.xonxoff = rtscts, xonxoff
        self._serial: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SerialTransport:
        """Keys: ``port`` (e.g. /dev/ttyUSB0, required), ``baudrate`` (9600), ``timeout``,
        ``rtscts``, ``xonxoff``."""
        port = str(config.get("port") or "")
        if not port:
            raise ValueError("a serial printer needs a port such as /dev/ttyUSB0")
        return cls(port, _int(config, "baudrate", 9600),
                   _float(config, "timeout", DEFAULT_TIMEOUT),
                   _bool(config, "rtscts", False), _bool(config, "xonxoff", False))

    def _open(self) -> Any:
        if self._serial is None:
            try:
                self._serial = serial.serial_for_url(
                    self.port, self.baudrate, timeout=self.timeout,
                    write_timeout=self.timeout, rtscts=self.rtscts, xonxoff=self.xonxoff)
            except (serial.SerialException, OSError, ValueError) as exc:
                raise PrinterError(f"cannot open {self.port}: {exc}") from exc
        return self._serial

    def send(self, data: bytes) -> None:
        """Write the job; a write that does not finish within the timeout fails."""
        with self._lock:
            port = self._open()
            try:
                port.write(data)
                port.flush()
            except Exception as exc:  # pyserial raises SerialTimeoutException or OSError
                self._drop()
                raise PrinterError(f"writing to {self.port} failed: {exc}") from exc

    def status(self) -> Status:
        """``DLE EOT 1-4`` on the line."""
        with self._lock:
            try:
                port = self._open()
                port.reset_input_buffer()
                port.write(escpos_status.QUERY_BYTES)
                deadline = time.monotonic() + self.timeout
                replies = _read_replies(port.read, deadline)
            except PrinterError as exc:
                return Status(online=False, error=str(exc))
            except Exception as exc:
                self._drop()
                return Status(error=f"status query on {self.port} failed: {exc}")
        if not replies:
            return Status(error=f"no answer to the status query within {self.timeout:g} s")
        return escpos_status.parse(replies)

    def _drop(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            finally:
                self._serial = None

    def close(self) -> None:
        """Close the port."""
        with self._lock:
            self._drop()


class UsbTransport:
    """A USB printer by vendor and product id, through python-escpos and pyusb. USB gives
    no status here: ``status()`` only tells whether the device can be opened."""

    def __init__(self, vendor_id: int, product_id: int, timeout: float = DEFAULT_TIMEOUT,
                 in_ep: int | None = None, out_ep: int | None = None) -> None:
        self.vendor_id, self.product_id, self.timeout = vendor_id, product_id, timeout
        self.in_ep, self.out_ep = in_ep, out_ep
        self._device: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> UsbTransport:
        """Keys: ``vendor_id`` and ``product_id`` (numbers or ``"0x0416"``), ``timeout``,
        ``in_ep``, ``out_ep`` (python-escpos defaults: 0x82, 0x01)."""
        if "vendor_id" not in config or "product_id" not in config:
            raise ValueError("a USB printer needs vendor_id and product_id")
        return cls(_int(config, "vendor_id", 0), _int(config, "product_id", 0),
                   _float(config, "timeout", DEFAULT_TIMEOUT),
                   _int(config, "in_ep", 0) or None, _int(config, "out_ep", 0) or None)

    @property
    def name(self) -> str:
        """``vvvv:pppp`` in hex."""
        return f"{self.vendor_id:04x}:{self.product_id:04x}"

    def _open(self) -> Any:
        if self._device is None:
            options: dict[str, Any] = {"timeout": int(self.timeout * 1000)}
            if self.in_ep is not None:
                options["in_ep"] = self.in_ep
            if self.out_ep is not None:
                options["out_ep"] = self.out_ep
            try:
                device = Usb(self.vendor_id, self.product_id, **options)
                device.open()
            except Exception as exc:  # escpos raises USBNotFoundError and friends
                raise PrinterError(f"cannot open USB printer {self.name}: {_oneline(exc)}"
                                   ) from exc
            self._device = device
        return self._device

    def send(self, data: bytes) -> None:
        """Write the job to the printer's OUT endpoint."""
        with self._lock:
            device = self._open()
            try:
                device._raw(data)
            except Exception as exc:
                self._drop()
                raise PrinterError(f"writing to USB printer {self.name} failed: {exc}"
                                   ) from exc

    def status(self) -> Status:
        """Offline when the device cannot be opened, otherwise unknown."""
        with self._lock:
            try:
                self._open()
            except PrinterError as exc:
                return Status(online=False, error=str(exc))
        return Status()

    def _drop(self) -> None:
        if self._device is not None:
            try:
                self._device.close()
            except Exception:  # closing a vanished device
                pass
            self._device = None

    def close(self) -> None:
        """Release the USB device."""
        with self._lock:
            self._drop()


class FileTransport:
    """Append each job to a file or device node (``/dev/usb/lp0``); status is unknown
    unless the path is missing."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FileTransport:
        """Key: ``path`` (required)."""
        path = str(config.get("path") or "")
        if not path:
            raise ValueError("a file printer needs a path")
        return cls(path)

    def send(self, data: bytes) -> None:
        """Append ``data`` to the path."""
        try:
            with self.path.open("ab") as stream:
                stream.write(data)
        except OSError as exc:
            raise PrinterError(f"cannot write {self.path}: {_reason(exc)}") from exc

    def status(self) -> Status:
        """Offline when neither the file nor its folder exists; otherwise unknown."""
        if self.path.exists() or (not str(self.path).startswith("/dev/")
                                  and self.path.parent.is_dir()):
            return Status()
        return Status(online=False, error=f"{self.path} does not exist")

    def close(self) -> None:
        """Nothing stays open."""


class DummyTransport:
    """Keeps every job in memory (:attr:`jobs`); ``fail`` makes sends fail with that reason
    and status say so, for trying spool retries without a printer."""

    def __init__(self, fail: str = "", state: Status | None = None) -> None:
        self.jobs: list[bytes] = []
        self.fail = fail
        self.state = state or Status(online=True, paper="ok", cover_open=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DummyTransport:
        """Key: ``fail`` (optional reason)."""
        return cls(str(config.get("fail") or ""))

    @property
    def data(self) -> bytes:
        """All bytes received, in order."""
        return b"".join(self.jobs)

    def send(self, data: bytes) -> None:
        """Keep ``data``, or fail if told to."""
        if self.fail:
            raise PrinterError(self.fail)
        self.jobs.append(bytes(data))

    def status(self) -> Status:
        """The configured state (or offline with the failure reason)."""
        if self.fail:
            return Status(online=False, paper=self.state.paper, cover_open=self.state.cover_open,
                          error=self.fail)
        return self.state

    def close(self) -> None:
        """Nothing to release."""


TRANSPORTS: dict[str, Callable[[Mapping[str, Any]], Transport]] = {
    "network": NetworkTransport.from_config,
    "usb": UsbTransport.from_config,
    "serial": SerialTransport.from_config,
    "file": FileTransport.from_config,
    "dummy": DummyTransport.from_config,
}


def make_transport(config: Mapping[str, Any]) -> Transport:
    """The transport a config mapping names with ``transport`` (see :data:`TRANSPORTS`).

    :raises ValueError: for an unknown transport or a missing or bad setting.
    """
    kind = config.get("transport")
    if kind not in TRANSPORTS:
        names = ", ".join(sorted(TRANSPORTS))
        raise ValueError(f"transport must be one of {names}, not {kind!r}")
    return TRANSPORTS[str(kind)](config)


def _drain(conn: socket.socket) -> None:
    """Read what already arrived (e.g. automatic status bytes), so closing does not reset
    the connection while the printer still has data to read."""
    conn.setblocking(False)
    try:
        while conn.recv(256):
            pass
    except OSError:
        pass


def _oneline(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _reason(exc: OSError) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return exc.strerror or str(exc) or type(exc).__name__


def _int(config: Mapping[str, Any], key: str, default: int) -> int:
    value = config.get(key, default)
    try:
        return int(value, 0) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a whole number, not {value!r}") from None


def _float(config: Mapping[str, Any], key: str, default: float) -> float:
    value = config.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, not {value!r}") from None
    if number <= 0:
        raise ValueError(f"{key} must be more than 0")
    return number


def _bool(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = config.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.lower() in ("true", "yes", "1")
    raise ValueError(f"{key} must be true or false, not {value!r}")
