"""What can go wrong talking to a model server, each error saying what to do about it.

Providers translate their client's exceptions (httpx, the `ollama` client)
into these, so the chat panel, the status bar and `aiide doctor` show one
message whichever server is behind a role. All are `AiideError`s and so
cross the bus by `kind`.
"""

from __future__ import annotations

from aiide_tui.errors import AiideError


class ModelError(AiideError):
    """A model server could not give an answer."""

    title = "Model error"


class ServerDown(ModelError):
    """Nothing answers at the server's address."""

    title = "Model server not reachable"

    @classmethod
    def at(cls, provider: str, url: str, reason: str) -> ServerDown:
        if provider == "ollama":
            fix = "start it with `ollama serve`, or set [models] ollama_host / OLLAMA_HOST"
        else:
            fix = "start the server, or fix base_url in your [models.ROLE] table"
        fix += "; or `aiide models setup` for the built-in local models, offline"
        return cls(f"cannot reach the {provider} server at {url} ({reason}): {fix}")


class ModelNotFound(ModelError):
    """The server does not have the model that a role names."""

    title = "Model not found"


class ModelNotPulled(ModelNotFound):
    """Ollama has not downloaded the model."""

    title = "Model not pulled"

    @classmethod
    def named(cls, model: str, url: str) -> ModelNotPulled:
        return cls(f"Ollama at {url} does not have {model!r}: run `ollama pull {model}`")


class CapabilityMissing(ModelError):
    """The model cannot do what was asked (tools, fill-in-the-middle, embeddings)."""

    title = "Model cannot do this"


class AuthenticationFailed(ModelError):
    """The server refused the API key (or wanted one)."""

    title = "API key refused"


class PromptTooLong(ModelError):
    """The server refused a prompt that does not fit the model's context window."""

    title = "Prompt too long"


class ModelHTTPError(ModelError):
    """The server answered with an HTTP error (or reported one mid-answer)."""

    title = "Model server error"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ModelTimeout(ModelError):
    """The server stopped sending before the answer was complete (a stalled stream)."""

    title = "Model timed out"


class ModelLoadingSlow(ModelTimeout):
    """No first token in time: usually the model is still loading into memory."""

    title = "Model slow to start"


class StreamDropped(ModelError):
    """The connection closed in the middle of an answer."""

    title = "Answer cut off"
