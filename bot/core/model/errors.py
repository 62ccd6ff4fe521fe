"""Domain errors whose text is written for the person who typed the command.

Adapters show ``user_message`` as it is (escaped for their platform), so it must say what went
wrong and what to type instead, never a stack trace or an internal name.
"""

from __future__ import annotations


class CrisisError(Exception):
    """Base of every error a user may see."""

    def __init__(self, user_message: str, *, hint: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.hint = hint

    def __str__(self) -> str:
        return self.user_message if not self.hint else f"{self.user_message}\n{self.hint}"


class UsageError(CrisisError):
    """The command text could not be understood."""


class NotFoundError(CrisisError):
    """The crisis (or other thing) the user named does not exist."""


class ConflictError(CrisisError):
    """The request clashes with the crisis's state (e.g. resolving a resolved crisis)."""


class DuplicateRequestError(Exception):
    """A crisis with this request key exists already (a double click, a retried request)."""

    def __init__(self, request_key: str) -> None:
        super().__init__(request_key)
        self.request_key = request_key


class AlreadyDeclaredError(ConflictError):
    """The same person asked for the same crisis twice (double click, retried request)."""

    def __init__(self, user_message: str, *, number: int) -> None:
        super().__init__(user_message)
        self.number = number


class PermissionDeniedError(CrisisError):
    """The plan does not let this person do this."""


class DatabaseUnavailableError(CrisisError):
    """The database cannot be reached (down, restarting, or not answering in time).

    A condition of the moment, not a bug: the storage layer raises it instead of the driver's
    error, so the core answers the person with what to do and logs no traceback (the storage
    layer warns once per outage). What the failed call was doing was not stored, unless
    ``in_doubt``: the connection broke during its COMMIT, which the server may have carried out.
    """

    def __init__(self, reason: str = "", *, in_doubt: bool = False) -> None:
        done = (
            "It may have been done just as the connection broke: check with /crisis status before trying again."
            if in_doubt
            else "Nothing was changed."
        )
        super().__init__(
            "I cannot reach my database right now, so I could not do that.",
            hint=f"{done} Try again in a minute; if it keeps failing, tell whoever runs crisisbot.",
        )
        self.reason = reason  # the driver's first line, for the operator's log, never shown
        # the connection broke during COMMIT: the server may have committed before it went away,
        # so "nothing was stored" cannot be said (a declaration so stored is resumed and answered)
        self.in_doubt = in_doubt


class ChatPlatformError(CrisisError):
    """The chat platform refused or failed a call after its retries."""


class RoomNameTakenError(Exception):
    """The chat platform already has a room with that name; the service picks the next one."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name
