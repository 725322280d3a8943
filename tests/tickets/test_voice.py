"""The voice of the lobby call: which clips say a call, the shipped clips, joining them into
one WAV, the public clip routes, and the staff page that replaces a clip with a recording."""

from __future__ import annotations

import io
import math
import wave
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from hall.signals import queue_changed
from tests.staff_support import token_in
from tickets import queue, voice
from tickets.models import Call, VoiceClip

from .support import make_service, make_window


def _wav(seconds: float = 0.5, rate: int = voice.RATE, channels: int = 1, width: int = 2,
         amplitude: int = 8000) -> bytes:
    out = io.BytesIO()
    count = int(rate * seconds)
    frames = bytearray()
    for i in range(count):
        sample = int(amplitude * math.sin(2 * math.pi * 440 * i / rate))
        frames += sample.to_bytes(width, "little", signed=True) * channels
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(bytes(frames))
    return out.getvalue()


def _frames(data: bytes) -> tuple[int, int, int, int]:
    with wave.open(io.BytesIO(data)) as reader:
        return (reader.getnchannels(), reader.getsampwidth(), reader.getframerate(),
                reader.getnframes())


# --------------------------------------------------------------------------- what is said


@pytest.mark.parametrize(("number", "window", "middle"), [
    ("A012", 3, ["A", "d0", "d1", "d2", "hao", "dao", "d3"]),
    ("B105", 13, ["B", "d1", "d0", "d5", "hao", "dao", "shi", "d3"]),
    ("C001", 10, ["C", "d0", "d0", "d1", "hao", "dao", "shi"]),
    ("A7", 20, ["A", "d7", "hao", "dao", "d2", "shi"]),
    ("A012", 21, ["A", "d0", "d1", "d2", "hao", "dao", "d2", "shi", "d1"]),
    ("A012", 105, ["A", "d0", "d1", "d2", "hao", "dao", "d1", "bai", "d0", "d5"]),
    ("A012", 110, ["A", "d0", "d1", "d2", "hao", "dao", "d1", "bai", "d1", "shi"]),
    ("A012", 100, ["A", "d0", "d1", "d2", "hao", "dao", "d1", "bai"]),
    ("A012", 999, ["A", "d0", "d1", "d2", "hao", "dao", "d9", "bai", "d9", "shi", "d9"]),
    ("AB0", 0, ["A", "B", "d0", "hao", "dao", "d0"]),
    ("A012", 1234, ["A", "d0", "d1", "d2", "hao", "dao", "d1", "d2", "d3", "d4"]),
])
def test_clips_for_call(number: str, window: int, middle: list[str]) -> None:
    assert voice.clips_for_call(number, window) == [
        "chime", "qing", *middle, "hao_chuangkou", "banli"]


def test_every_clip_said_is_a_clip_and_is_shipped() -> None:
    assert len(voice.CLIPS) == 6 + 10 + 2 + 26
    for number in ("A012", "Z999"):
        for window in range(0, 1000, 7):
            assert set(voice.clips_for_call(number, window)) <= set(voice.CLIPS)
    total = 0
    for name in voice.CLIPS:
        path = voice.shipped_path(name)
        channels, width, rate, frames = _frames(path.read_bytes())
        assert (channels, width, rate) == (1, 2, voice.RATE), name
        assert 0.15 * rate < frames < 1.5 * rate, name  # trimmed, not empty
        total += path.stat().st_size
    assert total < 1.5 * 1024 * 1024


def test_call_text(app: Flask) -> None:
    assert voice.call_text("A012", 3) == "请 A012 号 到 3 号窗口 办理"


# --------------------------------------------------------------------------- joining


def test_joined_wav_is_the_parts_with_gaps(app: Flask) -> None:
    names = voice.clips_for_call("A012", 3)
    joined = voice.join_wav(names)
    channels, width, rate, frames = _frames(joined)
    assert (channels, width, rate) == (1, 2, voice.RATE)
    parts = sum(_frames(voice.shipped_path(n).read_bytes())[3] for n in names)
    assert frames == parts + (len(names) - 1) * voice.gap_frames()
    with pytest.raises(KeyError):
        voice.join_wav(["qing", "nonsense"])


def test_joined_wav_uses_the_staff_recording(app: Flask) -> None:
    recording = voice.convert_upload(_wav(0.25))
    db.session.add(VoiceClip(name="qing", data=recording))
    db.session.commit()
    frames = _frames(voice.join_wav(["qing"]))[3]
    assert frames == int(voice.RATE * 0.25)


# --------------------------------------------------------------------------- uploads


def test_upload_conversion() -> None:
    same = voice.convert_upload(_wav(0.5))
    assert _frames(same) == (1, 2, voice.RATE, int(voice.RATE * 0.5))
    stereo_48k = voice.convert_upload(_wav(0.5, rate=48000, channels=2))
    channels, width, rate, frames = _frames(stereo_48k)
    assert (channels, width, rate) == (1, 2, voice.RATE)
    assert abs(frames - voice.RATE * 0.5) <= 1


@pytest.mark.parametrize(("data", "message"), [
    (b"", "请选择"),
    (b"RIFF1234WAVEjunk", "不是可用的 WAV"),
    (b"not a wav at all", "不是可用的 WAV"),
    (b"\0" * (voice.MAX_UPLOAD_BYTES + 1), "文件太大"),
])
def test_bad_uploads_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(voice.VoiceError) as refused:
        voice.convert_upload(data)
    assert message in str(refused.value.message)


def test_uploads_of_the_wrong_kind(app: Flask) -> None:
    cases = [(_wav(width=1, amplitude=100), "16 位"), (_wav(rate=96000, seconds=0.1), "采样率"),
             (_wav(amplitude=0), "没有声音"), (_wav(seconds=6), "太长")]
    for data, message in cases:
        with pytest.raises(voice.VoiceError) as refused:
            voice.convert_upload(data)
        assert message in str(refused.value.message)


# --------------------------------------------------------------------------- public routes


def test_clip_route(client: FlaskClient) -> None:
    response = client.get("/voice/qing.wav")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert response.data == voice.shipped_path("qing").read_bytes()
    assert "no-cache" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get("/voice/qing.wav", headers={"If-None-Match": etag})
    assert again.status_code == 304
    for bad in ("/voice/nope.wav", "/voice/..%2Fqing.wav", "/voice/a.wav"):
        assert client.get(bad).status_code == 404, bad


def test_clip_route_long_cache_only_with_the_current_token(client: FlaskClient) -> None:
    token = voice.voice_version()
    current = client.get(f"/voice/d3.wav?v={token}")
    assert "immutable" in current.headers["Cache-Control"]
    stale = client.get("/voice/d3.wav?v=old")
    assert "no-cache" in stale.headers["Cache-Control"]


def test_call_route_joins_the_call(app: Flask, client: FlaskClient) -> None:
    window = make_window(3, make_service())
    queue.issue_ticket("gk")
    queue.call_next(window.id)
    call = db.session.scalars(select(Call)).one()
    response = client.get(f"/voice/call/{call.id}.wav")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert response.data == voice.join_wav(voice.clips_for_call("A001", 3))
    assert client.get("/voice/call/999999.wav").status_code == 404


# --------------------------------------------------------------------------- staff page


@pytest.fixture
def sent() -> Any:
    got: list[dict[str, Any]] = []

    def keep(sender: Any, **kwargs: Any) -> None:
        got.append(kwargs)

    queue_changed.connect(keep)
    yield got
    queue_changed.disconnect(keep)


def test_staff_page_lists_every_clip(client: FlaskClient,
                                     login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    html = client.get("/staff/queue/voice/").get_data(as_text=True)
    for name in voice.CLIPS:
        assert f'id="clip-{name}"' in html
    assert "请 A012 号 到 3 号窗口 办理" in html
    sample = client.get("/staff/queue/voice/sample.wav?number=B105&window=13")
    assert sample.status_code == 200
    assert sample.data == voice.join_wav(voice.clips_for_call("B105", 13))
    assert client.get("/staff/queue/voice/sample.wav?number=%3Cx%3E").status_code == 400
    html = client.get("/staff/queue/voice/?number=x!&window=0").get_data(as_text=True)
    assert "号码须是字母加数字" in html and "窗口号须是" in html


def test_upload_and_revert(client: FlaskClient, login_as: Callable[..., StaffUser],
                           sent: list[dict[str, Any]]) -> None:
    login_as(Role.EDITOR, username="editor")
    token = token_in(client.get("/staff/queue/voice/").get_data(as_text=True))
    before = voice.voice_version()
    response = client.post("/staff/queue/voice/qing/upload", data={
        "csrf_token": token, "file": (io.BytesIO(_wav(0.4, rate=44100)), "qing.wav")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    row = db.session.get(VoiceClip, "qing")
    assert row is not None and row.uploaded_by == "editor"
    assert _frames(row.data)[:3] == (1, 2, voice.RATE)
    assert client.get("/voice/qing.wav").data == row.data
    assert voice.voice_version() != before
    assert sent[-1]["kind"] == "voice"
    page = client.get("/staff/queue/voice/").get_data(as_text=True)
    assert "已替换“qing”的声音" in page and "录音（editor" in page

    response = client.post("/staff/queue/voice/qing/revert", data={"csrf_token": token})
    assert response.status_code == 303
    assert db.session.get(VoiceClip, "qing") is None
    assert client.get("/voice/qing.wav").data == voice.shipped_path("qing").read_bytes()
    assert voice.voice_version() == before
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["voice_upload", "voice_revert"]


def test_bad_upload_is_refused_on_the_page(client: FlaskClient,
                                           login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.ADMIN)
    token = token_in(client.get("/staff/queue/voice/").get_data(as_text=True))
    response = client.post("/staff/queue/voice/d3/upload", data={
        "csrf_token": token, "file": (io.BytesIO(b"an mp3, really"), "three.mp3")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "“d3”：这不是可用的 WAV 文件" in response.get_data(as_text=True)
    response = client.post("/staff/queue/voice/d3/upload", data={"csrf_token": token})
    assert response.status_code == 422
    assert client.post("/staff/queue/voice/nope/upload",
                       data={"csrf_token": token}).status_code == 404
    assert db.session.scalars(select(VoiceClip)).all() == []


def test_clerks_may_not_change_the_voice(client: FlaskClient,
                                         login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.CLERK)
    assert client.get("/staff/queue/voice/").status_code == 403
