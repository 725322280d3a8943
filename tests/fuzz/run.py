"""Running a target: its address and baseline, one request per example, the properties
checked on every answer and on the database after the run."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient
from hypothesis import example as explicit
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, stream_encode_multipart

from tests.fuzz.checks import check_response, unclean_values
from tests.fuzz.forms import form_for
from tests.fuzz.seed import FUZZ, Fuzz
from tests.fuzz.strategies import (
    EVERY_FIELD,
    EVERY_JSON_FIELD,
    EVERY_QUERY_ARGUMENT,
    form_data,
    hostile_text,
    json_body,
    json_object,
)
from tests.fuzz.targets import APPLY_STEPS, APPLY_VALID, Target

_SLOT = re.compile(r"\{(\w+)\}")
#: Bodies a JSON endpoint may get that are not JSON at all, or not the JSON it asked for.
RAW_BODIES: tuple[tuple[str, bytes], ...] = (
    ("application/json", b""), ("application/json", b"{"), ("application/json", b"\xff\xfe"),
    ("application/json", b'{"a": 1}{'), ("application/json", b"[" * 5000),
    ("application/json", b'"\\ud800"'), ("application/json", b"NaN"),
    ("application/json; charset=latin-1", b'{"text": "\xe9"}'),
    ("text/plain", b'{"service": "zx"}'), ("application/x-www-form-urlencoded", b"service=zx"),
)


def fill(template: str, ids: dict[str, Any]) -> str:
    """``{name}`` slots filled from the seeded ids."""
    return _SLOT.sub(lambda m: str(ids[m.group(1)]), template)


def _filled(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return fill(value, ids)
    if isinstance(value, list):
        return [_filled(v, ids) for v in value]
    return value


def baseline(fuzz: Fuzz, target: Target, client: FlaskClient) -> dict[str, Any]:
    """The values a browser would send from the target's page (checked against the table's
    fields), overlaid with the table's own baseline."""
    values: dict[str, Any] = {}
    if target.page is not None:
        page = fill(target.page, fuzz.ids)
        response = client.get(page)
        assert response.status_code == 200, f"{page}: {response.status_code}"
        path = fill(target.path, fuzz.ids)
        form = form_for(response.get_data(as_text=True), page, path)
        assert form is not None, f"{page} has no form posting to {path}"
        shown = set(form.kinds) - {"csrf_token"}
        unlisted = shown - set(target.fields)
        assert not unlisted, f"{target.endpoint}: fields {sorted(unlisted)} are not in the table"
        values = {k: v for k, v in form.values.items() if k != "csrf_token"}
        for name, kind in form.kinds.items():
            if kind == "button" and name not in values:
                values[name] = form.options[name][:1]
    values.update({k: _filled(v, fuzz.ids) for k, v in target.baseline.items()})
    return values


def _start_application(client: FlaskClient) -> None:
    response = client.post("/kiosk/apply/start")
    assert response.status_code == 303, response.status_code


def _apply_journey(client: FlaskClient, values: dict[str, Any]) -> list[TestResponse]:
    """Every step of the kiosk application with ``values``, then 提交."""
    _start_application(client)
    answers = []
    for step, fields in APPLY_STEPS.items():
        answers.append(client.post(f"/kiosk/apply/step/{step}",
                                   data={k: values[k] for k in fields if k in values}))
    answers.append(client.post("/kiosk/apply/submit"))
    answers.append(client.post("/kiosk/apply/finish"))
    return answers


def send(client: FlaskClient, target: Target, path: str, example: Any) -> list[TestResponse]:
    """One example's request(s)."""
    if target.body == "apply-journey":
        return _apply_journey(client, example)
    if path.startswith("/kiosk/apply/step/") and target.body != "path":
        _start_application(client)
    if target.body == "json":
        content_type, data = example
        return [client.open(path, method=target.method, data=data, content_type=content_type)]
    if target.body == "query":
        return [client.open(path, method=target.method, query_string=example)]
    if target.body == "path":
        for name, text in example.items():
            path = path.replace("{" + name + "}", quote(text, safe="") or "%20")
        return [client.open(path, method=target.method)]
    if any(isinstance(v, tuple) for v in example.values()):
        return [client.open(path, method=target.method, **_multipart(example))]
    return [client.open(path, method=target.method, data=example)]


def _multipart(values: dict[str, Any]) -> dict[str, Any]:
    """A multipart body built in memory: the test client would spool a large one to a
    temporary file that it never closes (a ResourceWarning, not the server's doing)."""
    fields = MultiDict()
    for name, value in values.items():
        if isinstance(value, tuple):
            fields.add(name, FileStorage(stream=value[0], filename=value[1]))
        else:
            for item in value:
                fields.add(name, item)
    stream, length, boundary = stream_encode_multipart(fields, use_tempfile=False)
    return {"data": stream.read(length),
            "content_type": f"multipart/form-data; boundary={boundary}"}


def examples(target: Target, base: dict[str, Any]) -> st.SearchStrategy[Any]:
    """What one example sends, by the target's kind of body."""
    if target.body == "json":
        raw = st.sampled_from(RAW_BODIES)
        made = json_object(target.fields, base).map(
            lambda obj: ("application/json", json_body(obj).encode()))
        return st.one_of(made, made, made, made, made, made, made, made, made, raw)
    if target.body == "path":
        return st.fixed_dictionaries({name: hostile_text() for name in target.fields})
    if target.body == "apply-journey":
        plain = {k: [v] for k, v in APPLY_VALID.items()}
        return form_data(target.fields, plain).map(
            lambda values: {k: v for k, v in values.items() if k in APPLY_VALID})
    if not target.fields:  # nothing to fill in: unknown fields only
        return st.dictionaries(hostile_text().filter(bool), st.lists(hostile_text(),
                               min_size=1, max_size=2), max_size=2).map(
            lambda extra: {**base, **extra})
    return form_data(target.fields, base, target.files)


def explicit_examples(target: Target, base: dict[str, Any]) -> list[Any]:
    """Every field at once set to each of the values known to break things."""
    if target.body == "json":
        return [("application/json", json_body({**base, **dict.fromkeys(target.fields, v)})
                 .encode()) for v in EVERY_JSON_FIELD]
    if target.body == "path":
        return [dict.fromkeys(target.fields, v) for v in EVERY_FIELD if v]
    if target.body == "apply-journey":
        return [{**{k: [v] for k, v in APPLY_VALID.items()},
                 **{k: [value] for k in target.fields}} for value in EVERY_FIELD]
    out = []
    for value in EVERY_FIELD + (EVERY_QUERY_ARGUMENT if target.body == "query" else ()):
        values: dict[str, Any] = {**base, **{k: [value] for k in target.fields
                                               if k not in target.files}}
        for name in target.files:
            values[name] = _sample_upload(value)
        out.append(values)
    return out


def _sample_upload(name: str) -> tuple[Any, str]:
    """A PDF-looking file named after the value (what a header can carry of it)."""
    name = name.replace("\r", "").replace("\n", "").replace('"', "")[:200]
    return (io.BytesIO(b"%PDF-1.4\n" + name[:100].encode()), (name or "x") + ".pdf")


def fuzz_target(fuzz: Fuzz, target: Target, *, max_examples: int | None = None) -> None:
    """Run the target's examples; every answer is checked, and the database after the run."""
    client = fuzz.client(target.who)
    fuzzed = target.fields if target.body == "path" else ()  # slots the examples fill
    path = _SLOT.sub(lambda m: m.group(0) if m.group(1) in fuzzed
                     else str(fuzz.ids[m.group(1)]), target.path)
    if path.startswith("/kiosk/apply/step/") and target.body != "path":
        _start_application(client)  # the form's pages need a draft
    base = baseline(fuzz, target, client) if target.body != "path" else {}
    if max_examples is None and target.body == "query":  # a GET is cheap: look harder
        max_examples = 2 * FUZZ.max_examples
    options = {} if max_examples is None else {"max_examples": max_examples}

    @settings(FUZZ, **options)
    @given(example=examples(target, base))
    def run(example: Any) -> None:
        for response in send(client, target, path, example):
            check_response(response, target.name, example)

    for value in explicit_examples(target, base):
        run = explicit(example=value)(run)
    run()
    found = unclean_values(fuzz.app)
    new = [f for f in found if f not in fuzz.reported]
    fuzz.reported.update(found)
    assert not new, f"{target.name} stored unclean text:\n" + "\n".join(new[:20])
