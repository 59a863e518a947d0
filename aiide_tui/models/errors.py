"""What can go wrong finding or installing a model file, each saying what to do."""

from __future__ import annotations

from aiide_tui.errors import AiideError


class ModelFileError(AiideError):
    """A model file is missing, unknown or not the one it claims to be."""

    title = "Model file error"


class UnknownModel(ModelFileError):
    """No model of that name is in the registry."""

    title = "Unknown model"


class ModelNotInstalled(ModelFileError):
    """The model is known but its files are not on this machine."""

    title = "Model not installed"


class ModelInstallError(ModelFileError):
    """Downloading, joining or verifying a model failed; nothing partial was kept."""

    title = "Model install failed"
