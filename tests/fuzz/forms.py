"""The forms a rendered page carries: each ``<form>``'s action, method and fields with the
values the page put in them (the baseline a fuzz example starts from)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class PageForm:
    action: str
    method: str
    enctype: str
    #: name -> the values a browser would send as the page stands (checked boxes, the
    #: selected option, the first option of a select with none selected).
    values: dict[str, list[str]] = field(default_factory=dict)
    #: name -> input type ("text", "textarea", "select", "checkbox", "file", "hidden", ...).
    kinds: dict[str, str] = field(default_factory=dict)
    #: name -> every option a select, radio group or checkbox group offers.
    options: dict[str, list[str]] = field(default_factory=dict)


class _Parser(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: str | None = None
        self._select_chosen = False
        self._option: dict[str, str | None] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if tag == "form":
            action = urljoin(self.base, attrs.get("action") or self.base)
            self._form = PageForm(action=urlsplit(action).path
                                  + (f"?{urlsplit(action).query}" if urlsplit(action).query
                                     else ""),
                                  method=(attrs.get("method") or "get").lower(),
                                  enctype=attrs.get("enctype") or "")
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = attrs.get("name")
        if tag == "button" and name:  # a named submit button sends its value
            form.kinds.setdefault(name, "button")
            form.options.setdefault(name, []).append(attrs.get("value") or "")
            return
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "image", "reset", "button"):
                if kind == "submit":
                    form.kinds.setdefault(name, "button")
                    form.options.setdefault(name, []).append(attrs.get("value") or "")
                return
            form.kinds.setdefault(name, kind)
            value = attrs.get("value") or ("on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                form.options.setdefault(name, []).append(value)
                form.values.setdefault(name, [])
                if "checked" in attrs:
                    form.values[name].append(value)
            elif kind == "file":
                form.values.setdefault(name, [])
            else:
                form.values.setdefault(name, []).append(value)
        elif tag == "textarea" and name:
            form.kinds.setdefault(name, "textarea")
            self._textarea, self._textarea_text = name, ""
        elif tag == "select" and name:
            form.kinds.setdefault(name, "select-multiple" if "multiple" in attrs else "select")
            form.values.setdefault(name, [])
            form.options.setdefault(name, [])
            self._select, self._select_chosen = name, False
        elif tag == "option" and self._select is not None:
            self._option = attrs
            self._option_text = ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea_text += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "form":
            self._form = None
        elif form is None:
            return
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea_text
            form.values.setdefault(self._textarea, []).append(
                text.removeprefix("\r").removeprefix("\n"))
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select is not None:
            self._close_option(form, self._select)
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._close_option(form, self._select)
            name = self._select
            if not form.values[name] and form.options[name] and form.kinds[name] == "select":
                form.values[name].append(form.options[name][0])
            self._select = None

    def _close_option(self, form: PageForm, name: str) -> None:
        assert self._option is not None
        value = self._option.get("value")
        value = self._option_text.strip() if value is None else value
        form.options[name].append(value)
        if "selected" in self._option and "disabled" not in self._option:
            form.values[name].append(value)
        self._option = None


def page_forms(html: str, base: str) -> list[PageForm]:
    """Every form of ``html`` (a page served at ``base``)."""
    parser = _Parser(base)
    parser.feed(html)
    parser.close()
    return parser.forms


def form_for(html: str, base: str, action: str) -> PageForm | None:
    """The form of the page that posts to ``action`` (a path), if there is one."""
    for form in page_forms(html, base):
        if form.method == "post" and form.action.split("?")[0] == action:
            return form
    return None
