"""aiide: an AI coding IDE that lives in the terminal."""

__version__ = "0.1.0"
