"""What a chat user reads when Rocket.Chat refuses or fails: one short, specific sentence per case."""

from __future__ import annotations

import pytest

from bot.errors import (
    AuthFailed,
    BadRequest,
    ConnectionLost,
    Forbidden,
    InvalidResponse,
    NotFound,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
)
from bot.rocketchat.rest import NO_DATA
from bot.runtime.dispatch import describe_transport_error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            Forbidden("403 on overview"),
            "my service account lacks a permission (it needs a role holding `view-livechat-manager`",
        ),
        (RateLimited("429", retry_after=37.2), "please try again in 37 s"),
        (RateLimited("429", retry_after=0.1), "please try again in 1 s"),
        (RequestTimeout("slow"), "took too long to answer"),
        (ConnectionLost("refused"), "isn't answering properly right now"),
        (ServerError("503"), "isn't answering properly right now"),
        (BadRequest("empty", error_type=NO_DATA), "answered that request without any figures"),
        (BadRequest("bad", error_type="error-invalid-params"), "Rocket.Chat refused the request I made"),
        (InvalidResponse("GET overview answered str"), "Rocket.Chat sent an answer I could not read"),
        (NotFound("404 on overview"), "This Rocket.Chat server does not offer what that needs"),
        (AuthFailed("401 on overview"), "Rocket.Chat refused my credentials"),
    ],
)
def test_transport_errors_become_short_human_messages(error: TransportError, expected: str) -> None:
    message = describe_transport_error(error)
    assert expected in message
    assert str(error) not in message  # internal detail stays in the log
    assert "check the command" not in message  # the asker's command was checked before it was sent
