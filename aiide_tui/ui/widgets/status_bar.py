"""One line of facts a user glances at: project, branch, model, index, sandbox."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

SEGMENTS = ("project", "branch", "model", "fim", "index", "sandbox")


class StatusBar(Horizontal):
    """Named segments, each updated independently by the screen."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $text-muted;
        & > Static { width: auto; padding: 0 1; }
        & > #status-project { color: $text; text-style: bold; }
        & > .-warn { color: $warning; }
        & > .-ok { color: $success; }
    }
    """

    def compose(self) -> ComposeResult:
        for name in SEGMENTS:
            yield Static(id=f"status-{name}")

    def set_segment(
        self, name: str, text: str, *, state: str | None = None, tooltip: str | None = None
    ) -> None:
        """Show `text` in segment `name`; `state` ("ok" or "warn") colours it.

        A late update (a service reporting while the app shuts down) is dropped.
        """
        found = self.query(f"#status-{name}").results(Static)
        segment = next(found, None)
        if segment is None:
            return
        segment.update(text)
        segment.tooltip = tooltip
        segment.set_class(state == "ok", "-ok")
        segment.set_class(state == "warn", "-warn")

    def segment_text(self, name: str) -> str:
        return str(self.query_one(f"#status-{name}", Static).render())
