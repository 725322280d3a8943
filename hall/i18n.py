"""Language choice: Chinese first; English through the Flask-Babel catalogs."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, session

from hall.extensions import babel

SESSION_KEY = "lang"


def select_locale() -> str:
    """The session's language on a request; the default (Chinese) in CLI commands and jobs."""
    lang = session.get(SESSION_KEY) if has_request_context() else None
    if lang in current_app.config["LANGUAGES"]:
        return str(lang)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def html_lang(locale: str) -> str:
    """The BCP 47 tag for ``<html lang>``: ``zh_CN`` -> ``zh-CN``."""
    return locale.replace("_", "-")


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["html_lang"] = html_lang
    app.context_processor(lambda: {"locale_code": select_locale()})
