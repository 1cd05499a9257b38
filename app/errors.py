"""The exceptions of the app.

Every error a person can act on is a PegasusError whose text is the message
to show: what went wrong and where, in plain words. Errors of httpx,
jsonschema and the like are turned into these at the boundary, with
`raise ... from`, so no caller has to know the library below.
"""


class PegasusError(Exception):
    """Base of every error the app reports to a person."""


class UsageError(PegasusError):
    """Bad arguments or settings given by the user."""


class NetworkError(PegasusError):
    """A server could not be reached, or stopped answering."""


class AuthError(PegasusError):
    """The gateway refused the credentials or the token (HTTP 401)."""


class GatewayError(PegasusError):
    """The gateway answered, but with an error or a body we cannot use."""

    def __init__(self, message: str, *, status: int | None = None, call: str = ""):
        super().__init__(message)
        self.status = status
        self.call = call


class ManifestError(PegasusError):
    """A manifest, or one of its scripts, cannot be used."""


class JobError(PegasusError):
    """A report job ended in the error state; the text is the engine's."""


class LocalServerError(PegasusError):
    """A local server process (engine or sandbox) failed to start or died."""
