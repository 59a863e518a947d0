"""Make alt+digit keys arrive as alt+digit.

A terminal sends alt+1 (Option+1 with "Option as Meta") as ESC 1. Textual
maps ESC and a digit to the characters macOS types for Option+digit (`¡`,
`™`, `£`...), a workaround for WezTerm on macOS. So the keymap's alt+1 to
alt+4 focus keys never fired, and in the editor they typed `¡`. Without
those table entries, Textual's parser reads ESC 1 as alt+1, as it reads
ESC a as alt+a.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def read_alt_digits_as_alt_keys() -> None:
    """Drop Textual's ESC-digit character mappings (idempotent)."""
    try:
        from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
    except ImportError:  # Textual moved its table: its own parser decides
        logger.warning("textual._ansi_sequences is gone; alt+digit keys may not arrive")
        return
    for digit in "0123456789":
        ANSI_SEQUENCES_KEYS.pop(f"\x1b{digit}", None)
