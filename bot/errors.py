"""The bot's exception tree. Lower layers map their failures into it at the boundary, so the layers
above catch by meaning, never by library (httpx, websockets) or status code.

    BotError
    ├── ConfigError                  a config key is missing or malformed (names the key, shows an example)
    ├── TransportError               talking to Rocket.Chat failed
    │   ├── ConnectionLost           the socket dropped or the server is unreachable (retry)
    │   ├── RequestTimeout           no answer in time (retry)
    │   ├── AuthFailed               bad credentials, revoked or expired token (fatal for `run`)
    │   │   └── TwoFactorRequired    the password login wants a TOTP code: use a Personal Access Token
    │   ├── Forbidden                HTTP 403: the service account lacks a permission
    │   ├── NotFound                 HTTP 404: the route or object does not exist
    │   ├── RateLimited              HTTP 429 / DDP too-many-requests, with `retry_after` seconds
    │   ├── ServerError              HTTP 5xx
    │   ├── BadRequest               HTTP 400 or a DDP method error, with Rocket.Chat's `error`/`error_type`
    │   └── InvalidResponse          a reply whose shape is not what Rocket.Chat documents
    └── UserInputError               the asker's mistake: becomes a reply, never a traceback
        ├── UnknownCommand
        └── BadArgument

Messages never contain secrets (tokens, passwords): they are shown in logs and, for user errors, in chat.
"""

from __future__ import annotations


class BotError(Exception):
    """Base of everything the bot raises on purpose."""


class ConfigError(BotError):
    """A configuration problem; the message names the key and shows a valid example."""


class TransportError(BotError):
    """Talking to Rocket.Chat failed; `retryable` says whether trying again later can help."""

    retryable = False


class ConnectionLost(TransportError):
    retryable = True


class RequestTimeout(TransportError):
    retryable = True


class AuthFailed(TransportError):
    """The server refused our identity; retrying with the same credentials cannot help."""


class TwoFactorRequired(AuthFailed):
    pass


class Forbidden(TransportError):
    pass


class NotFound(TransportError):
    pass


class RateLimited(TransportError):
    retryable = True

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(0.0, retry_after)


class ServerError(TransportError):
    retryable = True


class BadRequest(TransportError):
    def __init__(self, message: str, *, error: str | int | None = None, error_type: str | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.error_type = error_type


class InvalidResponse(TransportError):
    pass


class UserInputError(BotError):
    """A mistake in what the user typed; its message is shown to them as the reply."""


class UnknownCommand(UserInputError):
    pass


class BadArgument(UserInputError):
    pass
