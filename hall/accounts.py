"""Staff accounts: argon2 password hashes, lockout after repeated failures, roles.

Plain functions over ``StaffUser``; nothing here reads the request. The login view adds the
delay and the session; the CLI and the users page create and change accounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from hall.db import utcnow
from hall.extensions import db
from hall.models import Role, StaffUser
from hall.timefmt import local_time

_hasher = PasswordHasher()
#: Verified against when the username is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not a password of anybody")

ROLE_LABELS = {
    Role.ADMIN: _l("系统管理员"),
    Role.EDITOR: _l("内容编辑"),
    Role.CLERK: _l("窗口工作人员"),
    Role.OFFICER: _l("信息公开工作人员"),
}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problems(password: str, *, username: str = "", min_length: int = 10) -> list[str]:
    """Why a new password is refused (empty when it is acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(_("密码至少需要 %(n)d 个字符。", n=min_length))
    if password.strip() != password:
        problems.append(_("密码的开头和结尾不能是空格。"))
    kinds = sum(
        [any(c.isdigit() for c in password), any(c.isalpha() for c in password),
         any(not c.isalnum() for c in password)]
    )
    if kinds < 2:
        problems.append(_("密码需要包含字母、数字、符号中的至少两类。"))
    if username and username.lower() in password.lower():
        problems.append(_("密码不能包含用户名。"))
    return problems


def user_named(username: str) -> StaffUser | None:
    return db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.username) == username.strip().lower())
    )


def create_user(username: str, password: str, roles: list[str], *, display_name: str = "",
                must_change_password: bool = False) -> StaffUser:
    """Add (not commit) a new account; roles are checked against ``Role``."""
    unknown = [r for r in roles if r not in {role.value for role in Role}]
    if unknown:
        raise ValueError(f"unknown roles: {unknown}")
    user = StaffUser(username=username.strip(), display_name=display_name.strip(),
                     password_hash=hash_password(password), roles=sorted(set(roles)),
                     must_change_password=must_change_password, active=True,
                     failed_logins=0)
    db.session.add(user)
    return user


def set_password(user: StaffUser, password: str, *, must_change: bool = False) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    user.failed_logins = 0
    user.locked_until = None


def check_password(user: StaffUser, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass
class LoginResult:
    """What a login attempt came to; ``failures`` drives the login page's delay."""

    user: StaffUser | None
    error: str = ""
    failures: int = 0
    locked_until: dt.datetime | None = None


def authenticate(username: str, password: str, *, max_failures: int, lockout: dt.timedelta,
                 now: dt.datetime | None = None) -> LoginResult:
    """Check a login and update the account's failure count and lock; the caller commits.

    After ``max_failures`` wrong passwords in a row the account is locked for ``lockout``;
    a locked account refuses even the right password until the lock ends.
    """
    now = now or utcnow()
    user = user_named(username)
    if user is None or not user.active:
        try:  # spend the same time as a real check, so the answer does not tell who exists
            _hasher.verify(_DUMMY_HASH, password + "x")
        except VerificationError:
            pass
        return LoginResult(None, _("用户名或密码不正确。"), failures=1)
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(None, _locked_message(user.locked_until), failures=user.failed_logins,
                           locked_until=user.locked_until)
    if not check_password(user, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + lockout
            return LoginResult(None, _locked_message(user.locked_until),
                               failures=user.failed_logins, locked_until=user.locked_until)
        left = max_failures - user.failed_logins
        return LoginResult(
            None, _("用户名或密码不正确。再错 %(n)d 次账户将被锁定。", n=left),
            failures=user.failed_logins,
        )
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult(user)


def _locked_message(until: dt.datetime) -> str:
    return _("登录失败次数过多，账户已锁定，请在 %(time)s 之后再试，或请管理员解锁。",
             time=local_time(until))


def unlock(user: StaffUser) -> None:
    user.failed_logins = 0
    user.locked_until = None
