"""What an unsuccessful REST answer means, as one of `bot.errors`' transport errors with a message that says
what to do (rocketchat-realtime-rest.md §2.2 auth, §2.9 rate limits, §3.7 two-factor).

- 3xx: the bot does not follow redirects (a URL that redirects is a wrong `url` setting, or an SSO portal).
- 401 on `login` is the password login's failure (two-factor named apart: a bot cannot type a code); any
  other 401 is the token's.
- 403 names the permission the service account lacks for the route family.
- 429 carries how long to wait (`retry_after`).
- 5xx is the server's failure; anything else is a refused request (BadRequest keeps `error`/`errorType`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx

from bot.errors import (
    AuthFailed,
    BadRequest,
    Forbidden,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    TwoFactorRequired,
)

__all__ = ["DEFAULT_RETRY_AFTER", "failure", "retry_after"]

DEFAULT_RETRY_AFTER = 60.0  # the limiter's default window, for a 429 that names no wait
_WAIT = re.compile(r"wait (\d+(?:\.\d+)?) seconds")
_PERMISSION_HINTS = (
    ("livechat/department", "`view-livechat-departments` or `view-l-room`"),
    ("livechat/rooms", "`view-livechat-rooms` (by default livechat-manager, livechat-monitor or admin)"),
    ("livechat/", "`view-livechat-manager` (by default livechat-manager, livechat-monitor or admin)"),
)


def failure(
    endpoint: str, route: str, response: httpx.Response, body: Any, *, username: str | None, now: datetime
) -> TransportError:
    """The error an unsuccessful answer stands for. `endpoint` ("GET /api/v1/me") names the call in messages,
    `route` ("me") picks the permission hint, `body` is the decoded JSON (or anything else), `username` is the
    password login's user, `now` the bot's clock for the reset header."""
    status = response.status_code
    error = body.get("error") if isinstance(body, dict) else None
    error_type = body.get("errorType") if isinstance(body, dict) else None
    said = f": {str(error)[:200]}" if error else ""
    if 300 <= status < 400:
        where = response.headers.get("location", "elsewhere")
        return InvalidResponse(f"{endpoint} was redirected (HTTP {status}) to {where}; check the url setting")
    if status == 401 and route == "login":
        if error == "totp-required":
            return TwoFactorRequired(
                f"the password login of {username!r} needs a two-factor code, which a bot cannot "
                "type: create a Personal Access Token with 'Ignore Two Factor Authentication' for this user "
                "and set RC_USER_ID + RC_AUTH_TOKEN instead of the password"
            )
        return AuthFailed(
            f"Rocket.Chat refused the password login of {username!r} (HTTP 401{said}): check "
            "RC_USERNAME and RC_PASSWORD, or use a Personal Access Token"
        )
    if status == 401:
        return AuthFailed(
            f"Rocket.Chat refused the bot's credentials ({endpoint}: HTTP 401{said}): the token is wrong, "
            "revoked or expired, or belongs to another user id; create a Personal Access Token for the service "
            "account and set RC_USER_ID + RC_AUTH_TOKEN"
        )
    if status == 403:
        hint = next((h for prefix, h in _PERMISSION_HINTS if route.startswith(prefix)), None)
        needs = f"; the service account needs a role holding {hint}" if hint else ""
        return Forbidden(f"{endpoint} is forbidden for the bot's account (HTTP 403{said}){needs}")
    if status == 404:
        return NotFound(f"{endpoint} does not exist on this server (HTTP 404{said})")
    if status == 429:
        wait = retry_after(error, response, now)
        return RateLimited(f"{endpoint} is rate limited (HTTP 429); retry in {wait:g} s", wait)
    if status >= 500:
        return ServerError(f"{endpoint} failed on the server (HTTP {status}{said})")
    return BadRequest(
        f"{endpoint} was refused (HTTP {status}{said})",
        error=error if isinstance(error, str | int) else None,
        error_type=error_type if isinstance(error_type, str) else None,
    )


def retry_after(error: Any, response: httpx.Response, now: datetime) -> float:
    """Seconds to wait after a 429: the body's "You must wait N seconds" (the server's own arithmetic, immune to
    clock skew), else `x-ratelimit-reset` (epoch ms) minus `now`, else one limiter window."""
    found = _WAIT.search(error) if isinstance(error, str) else None
    if found:
        return float(found.group(1))
    try:
        return max(0.0, float(response.headers["x-ratelimit-reset"]) / 1000 - now.timestamp())
    except (KeyError, ValueError):
        return DEFAULT_RETRY_AFTER
