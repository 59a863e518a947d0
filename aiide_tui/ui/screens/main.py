"""The main screen: routes messages between the regions and the services.

It owns no logic of its own beyond routing: file I/O, git and checks live in
services and domain packages; widgets render and post messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer

from aiide_tui.config import Config
from aiide_tui.errors import (
    AiideError,
    FileDeletedError,
    FileTooLargeError,
    StaleFileError,
    UnencodableTextError,
)
from aiide_tui.keymap import DEFAULT_ACTIONS, resolve_bindings
from aiide_tui.review import parse_diff
from aiide_tui.services.client import Document, ServicesClient
from aiide_tui.ui import layout
from aiide_tui.ui.screens.confirm import ConfirmScreen
from aiide_tui.ui.screens.locations import Location
from aiide_tui.ui.widgets.chat_panel import ChatPanel
from aiide_tui.ui.widgets.code_view import CodeView, keys_for_suggestions
from aiide_tui.ui.widgets.editor import Editor
from aiide_tui.ui.widgets.file_tree import FileTree
from aiide_tui.ui.widgets.review_pane import ReviewPane
from aiide_tui.ui.widgets.status_bar import StatusBar
from aiide_tui.ui.wording import some_paths
from aiide_tui.workspace.files import LEGACY_ENCODINGS, uniform_newlines
from aiide_tui.workspace.merge import Merged, conflict_markers, follow_line, merge_texts

if TYPE_CHECKING:
    from aiide_tui.ui.screens.search import Replacement

CHANGE_SETTLE_SECONDS = 0.2


def keymap_bindings() -> list[Binding]:
    """One binding per screen-wide keymap action, each with an id so `App.set_keymap` can
    remap it (a widget's own actions, such as `edit_hunk`, are bound by that widget).

    Quit and the alt keys take priority: a terminal sends alt+1 as ESC 1, which arrives
    with the character "1", and the focused editor or prompt would type it instead."""
    return [
        Binding(
            a.default_keys,
            a.id,
            a.description,
            show=a.show,
            id=a.id,
            priority=a.id == "quit" or a.default_keys.startswith("alt+"),
        )
        for a in DEFAULT_ACTIONS
        if not a.widget
    ]


USE_SCOPE_DEFINITIONS = 20
"""Find references looks for the name's text in the files of at most this many definitions
and their dependents (a common method name is defined in many)."""


def _overlap(merged: Merged | None) -> str:
    """What merging would do, for the question that offers it."""
    if merged is None:
        return ""
    if merged.conflicts:
        places = "1 place" if merged.conflicts == 1 else f"{merged.conflicts} places"
        return f" (both changed the same lines in {places}: merging marks them)"
    return " (the changes touch different lines: merging keeps both)"


RECHECK_S = 30.0
"""How often the model server and the sandbox are checked again while one is missing."""


class MainScreen(Screen[None]):
    """Files, editor, chat and review, laid out for the terminal's width."""

    CSS_PATH = "main.tcss"
    BINDINGS = keymap_bindings()

    layout_mode: reactive[layout.LayoutMode] = reactive("wide")
    """Which layout the width (or the config) asks for."""
    side_panel: reactive[str] = reactive("chat")
    """The side panel shown in the medium layout."""
    narrow_region: reactive[str] = reactive("files")
    """The region shown in the narrow layout."""

    def __init__(self, root: Path, config: Config, *, probe_environment: bool = True) -> None:
        super().__init__()
        self.root = root
        self._fim_state: dict | None = None
        """The completion service's last word on the fim model (None before it speaks)."""
        self.config = config
        self.keys = resolve_bindings(config.keys)
        """The keymap in force: action id -> keys."""
        self.probe_environment = probe_environment
        """Whether to check the model server and Docker (off for reproducible snapshots)."""
        self.client: ServicesClient | None = None
        # Regions are held directly, so a worker finishing during shutdown never
        # fails a query on a screen that is being torn down.
        self.file_tree = FileTree(id="files")
        self.editor = Editor(
            id="editor",
            view_options={
                "tab_size": config.editor.tab_size,
                "soft_wrap": config.editor.soft_wrap,
                "show_line_numbers": config.editor.show_line_numbers,
                "complete": config.complete.enabled,
                "suggestion_keys": keys_for_suggestions(self.keys),
            },
        )
        self.chat = ChatPanel(id="chat")
        self._chat_queue: list[str] = []
        """Messages sent while an answer streamed, asked in turn when it ends."""
        self.review = ReviewPane(id="review")
        self.status = StatusBar(id="status")
        self._regions = {
            "files": self.file_tree,
            "editor": self.editor,
            "chat": self.chat,
            "review": self.review,
        }
        self._pending_changes: set[tuple[str, str]] = set()
        self._settle: asyncio.TimerHandle | None = None
        self._closing = False
        self._proposal_id: int | None = None
        """The chat proposal waiting in the review pane (git diffs wait until it is decided)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield self.file_tree
            yield self.editor
            with Vertical(id="side"):
                yield self.chat
                yield self.review
        yield self.status
        yield Footer()

    def on_mount(self) -> None:
        self.status.set_segment("project", self.root.name or str(self.root))
        self.status.set_segment("model", "model: checking…")
        self.status.set_segment("index", "index: opening…")
        self.status.set_segment("sandbox", "sandbox: checking…")
        self.chat.set_model_state(False, "checking…")
        self._apply_layout()
        self.file_tree.focus()
        self.connect_services()

    async def on_unmount(self) -> None:
        """Stop the services (and any sandbox containers) once no worker still uses them."""
        self._closing = True  # a late file change must not start a worker on closed services
        if self._settle is not None:
            self._settle.cancel()
        self.workers.cancel_node(self)
        await asyncio.sleep(0)
        if self.client is not None:
            await self.client.close()

    # -- layout ---------------------------------------------------------------

    def on_resize(self) -> None:
        mode = layout.layout_for_width(self.size.width, self.config.ui.layout)
        if mode == "narrow" and self.layout_mode != "narrow":
            # the one region shown is the one in use (typing meant for the chat edited a file)
            self.narrow_region = self._focused_region() or self.narrow_region
        self.layout_mode = mode

    def watch_layout_mode(self) -> None:
        self._apply_layout()

    def watch_side_panel(self) -> None:
        self._apply_layout()

    def watch_narrow_region(self) -> None:
        self._apply_layout()

    def _apply_layout(self) -> None:
        if not self.is_mounted:
            return
        shown = layout.visible_regions(self.layout_mode, self.side_panel, self.narrow_region)
        for name in layout.REGIONS:
            self._regions[name].display = name in shown
        self.query_one("#side").display = bool(shown & set(layout.SIDE_PANELS))
        for mode in ("wide", "medium", "narrow"):
            self.set_class(self.layout_mode == mode, f"-{mode}")
        focused = self.focused
        if focused is None or not focused.display or not self._region_of_widget_visible(focused):
            self._focus_region(self.narrow_region if self.layout_mode == "narrow" else "editor")

    def _region_of_widget_visible(self, widget) -> bool:
        return all(node.display for node in widget.ancestors_with_self if hasattr(node, "display"))

    def _focus_region(self, name: str) -> None:
        widget = self._regions[name]
        if name == "chat":  # its prompt, not a message in the log: typing goes to the prompt
            self.chat.action_focus_prompt()
            return
        target = (
            widget
            if widget.focusable
            else next((w for w in widget.query("*") if w.focusable and w.display), widget)
        )
        self.set_focus(target)

    def show_region(self, name: str) -> None:
        """Bring a region on screen (in any layout) and focus it; a side panel shown is also
        the one the medium layout shows, should the terminal widen."""
        if self.layout_mode == "narrow":
            self.narrow_region = name
        if name in layout.SIDE_PANELS:
            self.side_panel = name
        self._apply_layout()
        self._focus_region(name)

    # -- actions (ids match the keymap) ---------------------------------------

    def action_toggle_side_panel(self) -> None:
        self.side_panel = layout.other_side_panel(self.side_panel)
        if self.layout_mode == "narrow":
            self.narrow_region = self.side_panel
        self.show_region(self.side_panel)

    def action_cycle_region(self) -> None:
        current = self._focused_region() or self.narrow_region
        self.show_region(layout.next_region(current))

    def _focused_region(self) -> str | None:
        focused = self.focused
        for name in layout.REGIONS:
            region = self._regions[name]
            if focused is not None and (focused is region or region in focused.ancestors):
                return name
        return None

    def action_focus_files(self) -> None:
        self.show_region("files")

    def action_focus_editor(self) -> None:
        self.show_region("editor")

    def action_focus_chat(self) -> None:
        self.show_region("chat")
        self.chat.action_focus_prompt()  # where the user means to type

    def action_focus_review(self) -> None:
        self.show_region("review")

    def action_goto_file(self) -> None:
        """The project's files in a fuzzy-search palette; the one chosen opens."""
        if not self.file_tree.paths:
            self.notify("No files listed yet.", timeout=3)
            return
        from aiide_tui.ui.screens.goto_file import goto_file_palette

        self.app.push_screen(goto_file_palette(list(self.file_tree.paths), self.open_file))

    def action_new_file(self) -> None:
        if self.client is None:
            self.notify("Still starting up; try again in a moment.")
            return
        from aiide_tui.ui.screens.path_prompt import PathPrompt

        def created(path: str | None) -> None:
            if path:
                self.open_file(path)

        folder = self._current_folder()
        start = f"{folder}/" if folder else ""
        self.app.push_screen(PathPrompt("New file", start, self._create_file), created)

    def action_delete_file(self) -> None:
        if path := self._file_in_view():
            self.delete_file(path)

    def action_rename_file(self) -> None:
        if path := self._file_in_view():
            self.rename_file(path)

    def _file_in_view(self) -> str | None:
        """The file at the tree's cursor when the tree has focus, else the open one."""
        if self._focused_region() == "files":
            return self.file_tree.file_at_cursor()
        return self.editor.active.path if self.editor.active is not None else None

    @on(FileTree.DeleteRequested)
    def on_delete_requested(self, event: FileTree.DeleteRequested) -> None:
        self.delete_file(event.path)

    @on(FileTree.RenameRequested)
    def on_rename_requested(self, event: FileTree.RenameRequested) -> None:
        self.rename_file(event.path)

    def rename_file(self, path: str) -> None:
        if self.client is None:
            return
        if self.editor.is_dirty(path):
            self.notify(f"{path} has unsaved edits: save or discard them first.", timeout=4)
            return
        from aiide_tui.ui.screens.path_prompt import PathPrompt

        mtimes: dict[str, int] = {}

        async def move(new_path: str, confirmed: bool) -> str | None:
            assert self.client is not None
            try:
                mtimes[new_path] = await self.client.rename(path, new_path, confirmed=confirmed)
            except AiideError as error:
                return error.message
            return None

        def moved(new_path: str | None) -> None:
            if new_path is None:
                return
            if self.editor.is_open(path):
                self.editor.rename_document(path, new_path, mtimes[new_path])
            self.notify(f"Moved {path} to {new_path}", timeout=3)

        self.app.push_screen(PathPrompt(f"Rename {path}", path, move), moved)

    @work(group="delete", exclusive=True, description="Delete a file")
    async def delete_file(self, path: str) -> None:
        if self.client is None:
            return
        unsaved = " Its tab's unsaved changes go too." if self.editor.is_dirty(path) else ""
        choice = await self._ask(
            "Delete file",
            f"Delete {path}? ({self.keys['undo_file_change']} undoes it){unsaved}",
            [("y", "Delete"), ("c", "Cancel")],
        )
        if choice != "y":
            return
        try:
            await self.client.delete(path)
        except AiideError as error:
            if error.kind != "ProtectedPathError":
                self.notify(error.message, title=error.title, severity="error")
                return
            choices = [("y", "Delete anyway"), ("c", "Cancel")]
            again = await self._ask("Protected file", error.message, choices)
            if again != "y":
                return
            await self.client.delete(path, confirmed=True)
        if self.editor.is_open(path):
            self.editor.close_document(path, force=True)
        self.notify(f"Deleted {path}", timeout=3)

    def _current_folder(self) -> str:
        """Where a new file most likely goes: the tree's folder at its cursor when the tree has
        focus, else the active document's folder, else the project root."""
        if self._focused_region() == "files":
            return self.file_tree.folder_at_cursor()
        active = self.editor.active
        return active.path.rpartition("/")[0] if active is not None else ""

    async def _create_file(self, path: str, confirmed: bool) -> str | None:
        """Create an empty file through the workspace; why not, or None when it was."""
        assert self.client is not None
        try:
            await self.client.write(path, "", create=True, confirmed=confirmed)
        except AiideError as error:
            return error.message
        return None

    @work(group="quit", exclusive=True, description="Ask before quitting loses work")
    async def action_quit(self) -> None:
        """Quit, asking first about unsaved edits and about proposed hunks still waiting
        for a decision (both would be lost)."""
        dirty = [view.path for view in self.editor.documents if view.dirty]
        if dirty:
            names = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
            choice = await self._ask(
                "Unsaved changes",
                f"{names} {'has' if len(dirty) == 1 else 'have'} unsaved changes.",
                [("s", "Save and quit"), ("d", "Quit without saving"), ("c", "Cancel")],
            )
            if choice == "c":
                return
            for path in dirty if choice == "s" else []:
                if not await self._save_view(path):
                    return  # not saved (cancelled or failed, and said why): stay open
        waiting = await self._undecided_hunks()
        if waiting:
            choice = await self._ask(
                "Proposed changes waiting",
                f"{waiting} proposed hunk(s) wait in the review pane; quitting drops them.",
                [("q", "Quit and drop them"), ("c", "Cancel")],
            )
            if choice != "q":
                return
        self.app.exit()

    async def _undecided_hunks(self) -> int:
        """Hunks of the proposal in the review pane still waiting for a yes or no."""
        if self.client is None or self._proposal_id is None:
            return 0
        try:
            proposals = await self.client.chat_proposals()
        except AiideError:
            return 0
        return sum(
            item["hunks"] - len(item["decisions"])
            for proposal in proposals
            if proposal["id"] == self._proposal_id
            for item in proposal["files"]
            if not item["written"]
        )

    def action_command_palette(self) -> None:
        self.app.action_command_palette()

    def action_help(self) -> None:
        self.app.action_show_keys_help()

    def action_theme(self) -> None:
        self.app.search_themes()

    def action_run_command(self) -> None:
        self._open_run_log(new_run=True)

    def action_run_log(self) -> None:
        self._open_run_log(new_run=False)

    def _open_run_log(self, *, new_run: bool) -> None:
        if self.client is None:
            self.notify("Still starting up; try again in a moment.")
            return
        from aiide_tui.ui.screens.run_log import RunLogScreen

        screen = RunLogScreen(self.client)
        self.app.push_screen(screen, lambda _: self.refresh_git())
        if new_run:
            screen.call_after_refresh(screen.action_new_run)

    def action_toggle_completion(self) -> None:
        enabled = not self.editor.view_options.get("complete", True)
        self.editor.view_options["complete"] = enabled
        for view in self.editor.documents:
            view.complete = enabled
            if not enabled:
                view.dismiss_ghost()
        self._show_fim(self._fim_state)
        self.notify(f"Code suggestions {'on' if enabled else 'off'}", timeout=2)

    def action_search(self) -> None:
        if self.client is None:
            self.notify("Still starting up; try again in a moment.")
            return
        from aiide_tui.ui.screens.search import SearchScreen

        self.app.push_screen(SearchScreen(self.client), self.open_location)

    def action_toggle_comment(self) -> None:
        """From the palette: the editor's key does this itself (`CodeView`)."""
        view = self.editor.active
        if view is None:
            self.notify("Open a file first.", timeout=3)
        else:
            view.action_toggle_comment()

    def action_find_in_files(self) -> None:
        if self.client is None:
            self.notify("Still starting up; try again in a moment.")
            return
        from aiide_tui.ui.screens.search import FindInFilesScreen

        view = self.editor.active
        selected = view.selected_text if view is not None else ""
        query = selected if selected and "\n" not in selected else ""
        self.app.push_screen(FindInFilesScreen(self.client, query), self._found_in_files)

    def _found_in_files(self, result: Location | Replacement | None) -> None:
        if result is None or isinstance(result, Location):
            self.open_location(result)
        else:
            self.propose_replacement(result)

    @work(group="replace", description="Replace in files")
    async def propose_replacement(self, replacement: Replacement) -> None:
        """Every match replaced, waiting in the review pane hunk by hunk like a model's edit."""
        assert self.client is not None
        try:
            proposal = await self.client.chat_replace(replacement.query, replacement.text)
        except AiideError as error:
            self.notify(error.message, title="Replace in files", severity="error")
            return
        if proposal is None:
            self.notify(f"Nothing matches {replacement.query}.", timeout=4)
            return
        await self._show_proposal(proposal)
        self.show_region("review")

    def open_location(self, location: Location | None) -> None:
        """Open a file at a place chosen in a list (a search hit, a definition...)."""
        if location is not None:
            self.open_file(
                location.path, line=location.line, column=location.column,
                length=location.length, word=location.word,
            )  # fmt: skip

    def action_goto_definition(self) -> None:
        self.show_locations("definitions")

    def action_find_references(self) -> None:
        self.show_locations("references")

    @work(group="locations", exclusive=True, description="Find a name in the index")
    async def show_locations(self, kind: str) -> None:
        """Definitions or references of the name at the editor's cursor: one opens at once,
        several are listed to choose from."""
        view = self.editor.active
        name = view.word_at_cursor() if view is not None else ""
        if self.client is None or view is None or not name:
            self.notify("Put the editor's cursor on a name first.", timeout=3)
            return
        from aiide_tui.ui.screens.locations import (
            LocationsScreen,
            locations_of_definitions,
            locations_of_uses,
        )

        definitions = await self.client.definitions(name, near=view.path)
        # `quote(x)` in a file that defines `quote` once, or imports the one file that does,
        # means that one (not `obj.quote(x)`)
        here = [d for d in definitions if d["path"] == view.path]
        own = here[0] if len(here) == 1 and not view.after_dot() else None
        if own is None and not here and len(definitions) > 1 and not view.after_dot():
            imported = set(await self.client.imports_of(view.path))  # `from util import f`
            through = [d for d in definitions if d["path"] in imported]
            own = through[0] if len(through) == 1 else None
        if kind == "definitions":
            found = locations_of_definitions([own] if own else definitions, view.path)
        else:  # the uses of that one definition, or of every namesake when it is not known
            references = await self.client.references(own["symbol"] if own else name)
            scope = await self._where_uses_can_be(view.path, [own] if own else definitions)
            matches = await self.client.find_text(f"/\\b{name}\\b/", paths=scope)
            others = [d for d in definitions if own and d is not own]
            found = locations_of_uses(
                references, matches["matches"], definitions, name, namesakes_elsewhere=others
            )
        if not found:
            self.notify(f"No {kind} of {name} in the index.", timeout=4)
            return
        if len(found) > 1:
            chosen = await self.app.push_screen_wait(
                LocationsScreen(f"{kind.capitalize()} of {name}", found)
            )
            if chosen is None:
                return
            found = [chosen]
        self.open_location(found[0])

    async def _where_uses_can_be(self, path: str, definitions: list[dict]) -> list[str]:
        """The files a name's uses can be in: those defining it and their dependents (the
        importers); for a name the index does not define (a local), the file at hand."""
        assert self.client is not None
        defining = sorted({d["path"] for d in definitions})[:USE_SCOPE_DEFINITIONS]
        scope = {path, *defining}
        for source in defining:
            scope.update(await self.client.dependents(source))
        return sorted(scope)

    def action_refresh_review(self) -> None:
        self.refresh_git()

    def action_edit_hunk(self) -> None:
        self.show_region("review")
        self.review.action_edit_hunk()

    def action_conversations(self) -> None:
        if self.client is None:
            self.notify("Still starting up; try again in a moment.")
            return
        from aiide_tui.ui.screens.conversations import ConversationsScreen

        self.app.push_screen(ConversationsScreen(self.client), self._show_conversation)

    def _show_conversation(self, messages: list[dict] | None) -> None:
        if messages is not None:
            self.show_conversation(messages)

    @work(group="chat-resume", description="Show a resumed conversation")
    async def show_conversation(self, messages: list[dict]) -> None:
        shown = [(m["role"], m["content"], m["think"]) for m in messages]
        await self.chat.show_history(shown)
        self.show_region("chat")
        self.notify("Conversation resumed: your next question continues it.", timeout=3)

    def action_copy(self) -> None:
        self.app.action_copy_selection()

    def action_save(self) -> None:
        self.editor.action_save()

    def action_close_tab(self) -> None:
        self.editor.action_close_tab()

    def action_next_tab(self) -> None:
        self.editor.action_next_tab()

    def action_previous_tab(self) -> None:
        self.editor.action_previous_tab()

    def action_goto_line(self) -> None:
        self.editor.action_goto_line()

    def action_find(self) -> None:
        self.editor.action_find()

    def action_replace(self) -> None:
        self.editor.action_replace()

    @work(group="undo-file", exclusive=True, description="Undo the last file change")
    async def action_undo_file_change(self) -> None:
        """Revert the undo journal's newest step (across files), after saying what it is."""
        if self.client is None:
            return
        change = await self.client.last_change()
        if change is None:
            self.notify("No file change to undo.", timeout=3)
            return
        paths = some_paths(change["paths"])
        choice = await self._ask(
            "Undo file change",
            f"Undo the last change ({change['label']}) to {paths}?",
            [("y", "Undo"), ("c", "Cancel")],
        )
        if choice != "y":
            return
        try:
            undone = await self.client.undo()
        except StaleFileError as error:
            choice = await self._ask(
                "Changed since",
                f"{error.message}.",
                [("f", "Undo anyway"), ("c", "Cancel")],
            )
            if choice != "f":
                return
            undone = await self.client.undo(force=True)
        if change["label"] == "rename":
            self._follow_rename_back(undone)
        self.notify(f"Undid {change['label']}: {some_paths(undone)}", timeout=4)
        self.refresh_git()

    def _follow_rename_back(self, paths: list[str]) -> None:
        """An undone rename: the open tab of the name that is gone shows the file again under
        the name it has now (a tab with unsaved edits stays: saving asks what to do)."""
        gone = [p for p in paths if self.editor.is_open(p) and not (self.root / p).exists()]
        back = [p for p in paths if (self.root / p).exists()]
        if len(gone) == 1 and len(back) == 1 and not self.editor.is_dirty(gone[0]):
            self.editor.close_document(gone[0], force=True)
            self.open_file(back[0])

    async def _ask(self, title: str, message: str, choices: list[tuple[str, str]]) -> str:
        """Ask in a `ConfirmScreen`; the key of the choice made (Esc: the last one's)."""
        return await self.app.push_screen_wait(ConfirmScreen(title, message, choices))

    def action_undo(self) -> None:
        if self.editor.active is not None:
            self.editor.active.action_undo()

    def action_redo(self) -> None:
        if self.editor.active is not None:
            self.editor.active.action_redo()

    # -- services -------------------------------------------------------------

    @work(exclusive=True, group="connect", description="Connect to services")
    async def connect_services(self) -> None:
        try:
            self.client = await ServicesClient.in_process(self.root, self.config)
            info = await self.client.project_info()
        except AiideError as error:
            self.notify(error.message, title=error.title, severity="error", timeout=10)
            return
        self.status.set_segment("branch", f" {info.branch}" if info.branch else "no git")
        await self.refresh_files()
        self.refresh_git()
        self.watch_workspace()
        self.watch_completion()
        self.keep_index()
        self.open_chat()
        if self.probe_environment:
            self.check_environment()

    @work(group="chat-open", exit_on_error=False, description="Open the chat session")
    async def open_chat(self) -> None:
        """Open the chat session now, so the first question pays nothing for it, and show
        the conversation it continues."""
        assert self.client is not None
        messages = await self.client.chat_open()
        if messages and not self.chat.messages:  # the user has not asked anything meanwhile
            await self.chat.show_history([(m["role"], m["content"], m["think"]) for m in messages])

    @on(CodeView.CompletionRequested)
    def on_completion_requested(self, event: CodeView.CompletionRequested) -> None:
        self.request_completion(event.view, event.request)

    @work(exclusive=True, group="complete", exit_on_error=False, description="Suggest code")
    async def request_completion(self, view: CodeView, request: dict) -> None:
        """Exclusive: each keystroke's request cancels the one before (and its model stream)."""
        if self.client is not None and (result := await self.client.complete(request)):
            view.show_completion(result)

    @on(CodeView.CompletionAccepted)
    def on_completion_accepted(self, event: CodeView.CompletionAccepted) -> None:
        self.report_acceptance(event.completion_id, event.chars, event.kind)

    @work(group="complete-accepted", exit_on_error=False, description="Count an acceptance")
    async def report_acceptance(self, completion_id: str, chars: int, kind: str) -> None:
        if self.client is not None:
            await self.client.completion_accepted(completion_id, chars, kind)

    @work(group="complete-state", description="Follow the completion model's state")
    async def watch_completion(self) -> None:
        assert self.client is not None
        self._show_fim(await self.client.completion_state(self._show_fim))

    def _show_fim(self, state: dict | None) -> None:
        """The fim segment: off (F4 or config), the model's trouble, or at work."""
        self._fim_state = state
        if not self.editor.view_options.get("complete", True):
            self.status.set_segment("fim", "fim: off")
        elif state is None:
            self.status.set_segment("fim", "fim: on")
        elif not state["enabled"]:
            self.status.set_segment("fim", "fim: off")
        elif state["error"]:
            self.status.set_segment(  # the mark first: a narrow bar cuts the model's name
                "fim", f"fim ✗ {state['model']}", state="warn", tooltip=state["error"]
            )
        else:  # the model segment names the model; this one says whether it is at work
            busy = " ●" if state["in_flight"] else ""
            self.status.set_segment("fim", f"fim: on{busy}", state="ok", tooltip=state["model"])

    @work(group="index", description="Index the project and keep it fresh")
    async def keep_index(self) -> None:
        assert self.client is not None

        def progress(step: dict) -> None:
            if step["phase"] == "parsing":
                self.status.set_segment("index", f"index: {step['done']}/{step['total']} files")
            else:
                self.status.set_segment("index", "index: linking…")
                self.show_index_status()

        try:
            await self.client.keep_index_fresh(progress, lambda _: self.show_index_status())
        except AiideError as error:
            self.status.set_segment("index", "index: failed", state="warn")
            self.notify(error.message, title="Index", severity="error")

    @work(exclusive=True, group="index-status", description="Show the index's state")
    async def show_index_status(self) -> None:
        assert self.client is not None
        await asyncio.sleep(0.3)
        state = await self.client.index_status()
        vectors = "vectors on" if state["vectors"].startswith("on") else "full-text + graph"
        self.status.set_segment("index", f"index: {state['files']} files · {vectors}", state="ok")

    @work(group="watch", description="Watch the project for changes")
    async def watch_workspace(self) -> None:
        assert self.client is not None
        await self.client.watch(self._on_changes)

    def _on_changes(self, changes: list[tuple[str, str]]) -> None:
        """Batch change bursts (a git checkout, a formatter run) into one refresh."""
        if self._closing:
            return
        self._pending_changes.update(changes)
        if self._settle is not None:
            self._settle.cancel()
        loop = asyncio.get_running_loop()
        self._settle = loop.call_later(CHANGE_SETTLE_SECONDS, self._flush_changes)

    def _flush_changes(self) -> None:
        changes, self._pending_changes = self._pending_changes, set()
        self.apply_changes(changes)

    @work(group="changes", description="Apply file changes")
    async def apply_changes(self, changes: set[tuple[str, str]]) -> None:
        if any(kind != "modified" for kind, _ in changes):
            await self.refresh_files()
        self.refresh_git()
        for kind, path in sorted(changes):
            if self.editor.is_open(path):
                await self._reconcile(path, deleted=kind == "deleted")

    async def refresh_files(self) -> None:
        """The tree, and the paths the chat prompt completes after `@` (no ignored or
        secrets files)."""
        assert self.client is not None
        files, status, mentionable = await asyncio.gather(
            self.client.list_files(), self.client.git_status(), self.client.chat_files()
        )
        self.file_tree.set_files(files, status)
        self.chat.suggester.files = mentionable

    @work(exclusive=True, group="git", description="Refresh git status and diff")
    async def refresh_git(self) -> None:
        if self.client is None:
            return
        status, (is_git, diff, not_shown), info = await asyncio.gather(
            self.client.git_status(), self.client.git_diff(), self.client.project_info()
        )
        self.file_tree.set_status(status)
        self.status.set_segment("branch", f" {info.branch}" if info.branch else "no git")
        if self._proposal_id is not None:
            return
        if is_git:
            untracked = {path for path, state in status.items() if state == "untracked"}
            conflicts = {path for path, state in status.items() if state == "conflict"}
            self.review.show_diff(
                diff, not_shown=not_shown, untracked=untracked, conflicts=conflicts
            )
        else:
            self.review.show_message("Not a git repository: nothing to review yet.")

    @work(group="checks", description="Check model server and sandbox")
    async def check_environment(self) -> None:
        assert self.client is not None
        checks = await self.client.environment_checks()
        model, roles, chat = checks["model"], checks["roles"], checks["chat"]
        docker = checks["sandbox"]
        connected = chat.status == "ok"
        answering = connected or model.status == "ok"
        shown = roles.summary if answering and roles.summary else model.summary
        self.status.set_segment(
            "model", f"model: {shown}", state="ok" if roles.status == "ok" else "warn"
        )
        detail = roles.summary if connected else chat.detail  # which models answer, or why not
        chat_on_ollama = (self.config.models.chat.provider or "ollama") == "ollama"
        if not connected and chat_on_ollama and model.summary == "offline":
            detail = f"Ollama is not reachable at {self.config.models.ollama_host}."
        self.chat.set_model_state(connected, detail)
        self.status.set_segment(
            "sandbox",
            f"sandbox: {docker.summary}",
            state="ok" if docker.status == "ok" else "warn",
        )
        if not connected or docker.status != "ok":  # Ollama or dockerd may start later
            self.set_timer(RECHECK_S, self.check_environment)

    # -- files ----------------------------------------------------------------

    @on(FileTree.FileOpened)
    def on_file_opened(self, event: FileTree.FileOpened) -> None:
        self.open_file(event.path)

    @on(Editor.ActiveChanged)
    def on_active_document_changed(self) -> None:
        self.focus_index()

    @work(exclusive=True, group="index-focus", exit_on_error=False, description="Files in view")
    async def focus_index(self) -> None:
        """Tell the index which files are open, the active one first: their vectors come first."""
        if self.client is None:
            return
        active = self.editor.active
        paths = [view.path for view in self.editor.documents if view is not active]
        await self.client.focus_index(([active.path] if active else []) + paths)

    @on(FileTree.RefreshRequested)
    async def on_tree_refresh(self) -> None:
        if self.client is not None:
            await self.refresh_files()

    @on(ReviewPane.RefreshRequested)
    def on_review_refresh(self) -> None:
        self.refresh_git()

    @work(group="open", description="Open a file")
    async def open_file(
        self,
        path: str,
        *,
        line: int | None = None,
        column: int = 0,
        length: int = 0,
        word: str = "",
    ) -> None:
        """Open `path` in a tab (or show its tab), at `line` with `length` characters from
        `column` selected when given (or on `word` in that line)."""  # fmt: skip
        if self.client is None:
            self.notify("Still starting up; try again in a moment.")
            return
        if self.editor.is_open(path):
            self.editor.open_existing(path)
            self.show_region("editor")
            view = self.editor.document(path)
            if line is not None and view is not None and view.dirty:  # found on disk
                line, same = follow_line(view.saved_text, view.text, line)
                column, length = (column, length) if same else (0, 0)
            if line is not None:
                self.editor.goto_line(line, column=column, length=length, word=word)
            return
        try:
            document, mixed = _for_editor(await self.client.read(path))
        except FileTooLargeError as error:
            choice = await self._ask(
                "Large file",
                f"{error.message}\nOpening it may be slow. Open anyway?",
                [("o", "Open anyway"), ("c", "Cancel")],
            )
            if choice != "o":
                return
            document, mixed = _for_editor(await self.client.read(path, force=True))
        except AiideError as error:
            self.notify(error.message, title=error.title, severity="error")
            return
        self._show_document(document)
        if mixed:
            ending = {"\r\n": "CRLF", "\r": "CR"}.get(document.newline, "LF")
            self.notify(
                f"{path} mixes line endings: saving ends every line with {ending}, as most"
                f" are ({mixed} line{'s' * (mixed != 1)} will change).",
                title="Line endings",
                timeout=8,
            )
        if document.encoding in LEGACY_ENCODINGS:
            self.notify(
                f"{path} is not UTF-8: opened as {document.encoding}, and saved back that way.",
                title="Encoding",
                timeout=6,
            )
        if line is not None:
            self.editor.goto_line(line, column=column, length=length, word=word)

    def _show_document(self, document: Document) -> None:
        self.editor.open_document(
            document.path,
            document.text,
            mtime_ns=document.mtime_ns,
            meta={"encoding": document.encoding, "newline": document.newline},
        )
        self.show_region("editor")

    @on(Editor.SaveRequested)
    def on_save_requested(self, event: Editor.SaveRequested) -> None:
        self.save_file(event.path, event.text, event.mtime_ns, dict(event.meta or {}))

    @work(group="save", description="Save a file")
    async def save_file(self, path: str, text: str, mtime_ns: int, meta: dict) -> None:
        await self._save(path, text, mtime_ns, meta)

    async def _save(self, path: str, text: str, mtime_ns: int, meta: Mapping[str, Any]) -> bool:
        """Write an editor's text, asking when the file changed on disk or is protected.

        Returns:
            Whether the text is now on disk.
        """
        assert self.client is not None
        view = self.editor.document(path)
        if view is not None and conflict_markers(text) > conflict_markers(view.saved_text):
            choice = await self._ask(
                "Conflict markers",
                f"{path} still has lines between <<<<<<< and >>>>>>> from a merge.",
                [("s", "Save anyway"), ("c", "Cancel")],
            )
            if choice != "s":
                return False
        write = {"encoding": meta.get("encoding", "utf-8"), "newline": meta.get("newline", "\n")}
        try:
            new_mtime = await self.client.write(path, text, expected_mtime_ns=mtime_ns, **write)
        except FileDeletedError:
            choice = await self._ask(
                "File deleted on disk",
                f"{path} was deleted on disk since you opened it.",
                [("o", "Create it again with mine"), ("c", "Cancel")],
            )
            if choice != "o":
                return False
            new_mtime = await self.client.write(path, text, **write)
        except StaleFileError:
            on_disk = await self._read_again(path)
            view = self.editor.document(path)
            if on_disk is None or view is None or on_disk.text != view.saved_text:
                choices = [("o", "Overwrite with mine"), ("r", "Reload from disk"), ("c", "Cancel")]
                merged = self._merged(path, on_disk) if on_disk is not None else None
                if merged is not None:
                    choices.insert(0, ("m", "Merge, then review"))
                choice = await self._ask(
                    "File changed on disk",
                    f"{path} changed on disk since you opened it{_overlap(merged)}.",
                    choices,
                )
                if choice == "m" and merged is not None and on_disk is not None:
                    self._apply_merge(path, merged, on_disk)
                    return False
                if choice == "r":
                    await self._reload(path)
                    return False
                if choice != "o":
                    return False
            new_mtime = await self.client.write(path, text, **write)
        except UnencodableTextError as error:
            choice = await self._ask(
                error.title, f"{error.message}.", [("u", "Save as UTF-8"), ("c", "Cancel")]
            )
            if choice != "u":
                return False
            write["encoding"] = "utf-8"
            new_mtime = await self.client.write(path, text, expected_mtime_ns=mtime_ns, **write)
            if (view := self.editor.document(path)) is not None and view.meta is not None:
                view.meta["encoding"] = "utf-8"
        except AiideError as error:
            if error.kind == "ProtectedPathError":
                return await self._save_protected(path, text, write, error.message)
            self.notify(error.message, title=error.title, severity="error")
            return False
        self.editor.mark_saved(path, text, new_mtime)
        self.app.forget_notices(f"{path} has unsaved edits", f"{path} is not UTF-8")
        self.notify(f"Saved {path}", timeout=2)
        return True

    async def _read(self, path: str, *, force: bool = False) -> Document:
        """A file as the editor holds it: one kind of line ending (`uniform_newlines`)."""
        assert self.client is not None
        return _for_editor(await self.client.read(path, force=force))[0]

    async def _read_again(self, path: str) -> Document | None:
        """The file as it is on disk now (None when it cannot be read: saving will say why).

        Written since the editor read it, it may still hold just that text (an undo put back
        what it held, a tool rewrote it unchanged): then there is nothing to choose between."""
        try:
            return await self._read(path, force=True) if self.client else None
        except AiideError:
            return None

    def _merged(self, path: str, on_disk: Document) -> Merged | None:
        """The tab's unsaved edits merged with the file's new text."""
        view = self.editor.document(path)
        return None if view is None else merge_texts(view.saved_text, view.text, on_disk.text)

    def _apply_merge(self, path: str, merged: Merged, on_disk: Document) -> None:
        """Show the merged text (one undoable step), unsaved: the user reviews it first."""
        self.editor.replace_text(path, merged.text, on_disk.mtime_ns, on_disk=on_disk.text)
        if merged.conflicts:
            places = "1 place" if merged.conflicts == 1 else f"{merged.conflicts} places"
            self.notify(
                f"{places} in {path} changed both here and on disk: both versions are kept"
                " between <<<<<<< and >>>>>>> lines. Settle them, then save.",
                title="Merged with conflicts", severity="warning", timeout=10,
            )  # fmt: skip
        else:
            self.notify(f"Merged the changes on disk into {path} (not saved yet)", timeout=4)

    async def _save_view(self, path: str) -> bool:
        """Save an open document as the editor holds it."""
        view = self.editor.document(path)
        if view is None:
            return False
        return await self._save(path, view.text, view.mtime_ns, view.meta or {})

    async def _save_protected(self, path: str, text: str, write: dict, message: str) -> bool:
        assert self.client is not None
        choice = await self._ask("Protected file", message, [("y", "Save anyway"), ("c", "Cancel")])
        if choice != "y":
            return False
        new_mtime = await self.client.write(path, text, confirmed=True, **write)
        self.editor.mark_saved(path, text, new_mtime)
        self.notify(f"Saved {path}", timeout=2)
        return True

    async def _reconcile(self, path: str, *, deleted: bool) -> None:
        """A file open in the editor changed on disk: reload it, or ask if it has edits."""
        if deleted:
            self.notify(f"{path} was deleted on disk; saving will create it again.")
            return
        assert self.client is not None
        try:
            document = await self._read(path, force=True)
        except AiideError as error:
            self.notify(error.message, title=error.title, severity="warning")
            return
        if document.mtime_ns == self.editor.mtime_ns(path):
            return  # the version the tab read, saved or merged: edits typed since stay unsaved
        if document.text == self.editor.text(path):
            self.editor.mark_saved(path, document.text, document.mtime_ns)
            return
        view = self.editor.document(path)
        if view is not None and document.text == view.saved_text:  # rewritten unchanged (a
            self.editor.mark_saved(path, document.text, document.mtime_ns)  # checkout back):
            return  # nothing to merge; the edits stay unsaved
        if self.editor.is_dirty(path):
            merged = self._merged(path, document)
            merge = "Merge (mark conflicts)" if merged and merged.conflicts else "Merge (keep both)"
            choice = await self._ask(
                "File changed on disk",
                f"{path} changed on disk, and you have unsaved edits{_overlap(merged)}.",
                [("m", merge), ("r", "Reload (lose my edits)"), ("k", "Keep mine")],
            )
            if choice == "m" and merged is not None:
                self._apply_merge(path, merged, document)
            if choice != "r":
                return
        self.editor.replace_text(path, document.text, document.mtime_ns)
        self.notify(f"Reloaded {path} (changed on disk)", timeout=3)

    async def _reload(self, path: str) -> None:
        """Show the file as it is on disk (the edits go, as one undoable step)."""
        assert self.client is not None
        try:
            document = await self._read(path, force=True)
        except AiideError as error:  # deleted or unreadable since: keep the user's text
            self.notify(error.message, title=error.title, severity="error")
            return
        self.editor.replace_text(path, document.text, document.mtime_ns)

    @on(Editor.CloseRequested)
    @work(group="close", description="Close a tab with unsaved edits")
    async def on_close_requested(self, event: Editor.CloseRequested) -> None:
        choice = await self._ask(
            "Unsaved changes",
            f"{event.path} has unsaved changes.",
            [("s", "Save"), ("d", "Discard"), ("c", "Cancel")],
        )
        if choice == "s":
            if await self._save_view(event.path):
                self.editor.close_document(event.path, force=True)
        elif choice == "d":
            self.editor.close_document(event.path, force=True)

    # -- chat ---------------------------------------------------------------

    @on(ChatPanel.Submitted)
    def on_chat_submitted(self, event: ChatPanel.Submitted) -> None:
        if self.client is None:
            self.chat.add_message("system", "Still starting up; try again in a moment.")
            return
        if self.chat.streaming:  # sending used to stop the answer under way
            self._chat_queue.append(event.text)
            self.chat.add_message(
                "system", f"*Asked once this answer ends (Esc stops it):* {event.text}"
            )
            return
        self.ask(event.text)

    @on(ChatPanel.StopRequested)
    def on_chat_stop(self) -> None:
        if self._chat_queue:
            dropped = len(self._chat_queue)
            self.chat.add_message("system", f"*Dropped {dropped} waiting message(s).*")
            self._chat_queue.clear()
        self.workers.cancel_group(self, "chat")

    def _ask_next(self) -> None:
        if self._chat_queue and not self.chat.streaming:
            text = self._chat_queue.pop(0)
            self.chat.add_message("user", text)  # below the answer it waited for
            self.ask(text)

    def _open_file_context(self) -> dict | None:
        view = self.editor.active
        if view is None:
            return None
        line = view.cursor_location[0] + 1
        return {"path": view.path, "line": line, "selection": view.selected_text}

    @work(exclusive=True, group="chat", description="Ask the chat model")
    async def ask(self, text: str) -> None:
        """Stream the answer into the chat panel; a proposal goes to the review pane."""
        assert self.client is not None
        events: asyncio.Queue[dict | None] = asyncio.Queue()
        show = asyncio.create_task(self._show_chat_events(events))
        self.chat.streaming = True
        self.chat.set_progress("waiting for the model")
        try:
            result = await self.client.chat_send(
                text, events.put_nowait, open_file=self._open_file_context()
            )
        except AiideError as error:
            result = {"command": f"**{error.title}**: {error.message}"}
        except asyncio.CancelledError:
            result = {"command": "*Stopped.*"}
        finally:
            self.chat.streaming = False
            events.put_nowait(None)
            await show
            self.chat.set_progress("")
            await self.chat.finish_last()
        try:
            if "command" in result:
                if text.strip().startswith("/clear"):
                    await self.chat.clear()  # a new conversation: the old one leaves the panel
                self.chat.add_message("system", result["command"])
            elif result.get("proposal"):
                await self._show_proposal(result["proposal"])
        finally:  # only now: the next question's worker would cancel this one (exclusive)
            self.call_later(self._ask_next)

    async def _show_chat_events(self, events: asyncio.Queue[dict | None]) -> None:
        """Apply stream events in order (notifications arrive faster than rendering)."""
        while (event := await events.get()) is not None:
            kind = event["kind"]
            if kind in ("text", "block", "think", "notice"):
                self.chat.set_progress("")
            if kind == "progress":
                self.chat.set_progress(event["text"])
            elif kind in ("text", "block"):
                await self.chat.append_to_last(event["text"])
            elif kind == "think":
                await self.chat.append_thinking(event["text"])
            elif kind == "context":
                self.chat.set_context(event["context"]["summary"])
            elif kind == "notice":
                await self.chat.finish_last()
                self.chat.add_message("system", event["text"])

    async def _show_proposal(self, proposal: dict) -> None:
        if (waiting := await self._undecided_hunks()) and self._proposal_id != proposal["id"]:
            self.notify(
                f"Proposal #{self._proposal_id} had {waiting} undecided hunk(s): the new one takes"
                " the review pane, and they are set aside (nothing of them was written).",
                severity="warning", timeout=8,
            )  # fmt: skip
        self._proposal_id = proposal["id"]
        await self.review.show_diff(proposal["diff"], source="chat")
        notes = "; ".join(proposal["notes"])
        self.notify(
            f"Proposal #{proposal['id']} is in the review pane: a accepts, x rejects, "
            "e edits a hunk." + (f" ({notes})" if notes else ""),
            timeout=6,
        )
        unsaved = [f["path"] for f in proposal["files"] if self.editor.is_dirty(f["path"])]
        if unsaved:
            self.notify(
                f"{', '.join(unsaved)} {'has' if len(unsaved) == 1 else 'have'} unsaved edits "
                "that this proposal does not see (it was made from the file on disk): "
                "save them first, or accepting will ask which to keep.",
                severity="warning",
                timeout=8,
            )

    @on(ReviewPane.HunkAccepted)
    def on_hunk_accepted(self, event: ReviewPane.HunkAccepted) -> None:
        if event.source == "chat":
            self.decide_hunk(event.path, event.hunk_index, accept=True)

    @on(ReviewPane.HunkRejected)
    def on_hunk_rejected(self, event: ReviewPane.HunkRejected) -> None:
        if event.source == "chat":
            self.decide_hunk(event.path, event.hunk_index, accept=False)

    @on(ReviewPane.HunkEditRequested)
    def on_hunk_edit_requested(self, event: ReviewPane.HunkEditRequested) -> None:
        if event.source != "chat" or self.client is None or self._proposal_id is None:
            return
        from aiide_tui.ui.screens.hunk_edit import HunkEditScreen

        screen = HunkEditScreen(
            self.client, self._proposal_id, event.path, event.hunk_index, event.hunk
        )
        self.app.push_screen(screen, lambda proposal: self._hunk_edited(event.path, proposal))

    def _hunk_edited(self, path: str, proposal: dict | None) -> None:
        """Redraw the edited file's hunks; the edited one waits for a decision again."""
        if proposal is None or proposal["id"] != self._proposal_id:
            return
        info = next(f for f in proposal["files"] if f["path"] == path)
        file_diff = next(f for f in parse_diff(proposal["diff"]) if f.path == path)
        decisions = {int(index): value for index, value in info["decisions"].items()}
        self.review.replace_file(file_diff, decisions=decisions, edited=set(info["edited"]))

    @work(group="chat-decide", description="Apply a decision on a proposed hunk")
    async def decide_hunk(self, path: str, hunk: int, *, accept: bool) -> None:
        if self.client is None or self._proposal_id is None:
            return
        try:
            reply = await self.client.chat_decide(self._proposal_id, path, hunk, accept=accept)
        except AiideError as error:
            self.notify(error.message, title=error.title, severity="error")
            self.review.set_decision(path, hunk, None)  # it waits again: x rejects it
            return
        for written in reply["written"]:
            self.notify(f"Wrote {written} (/undo in the chat reverts the proposal)", timeout=3)
        if not reply["proposal"]["pending"]:
            self._proposal_id = None
            self.refresh_git()


def _for_editor(document: Document) -> tuple[Document, int]:
    """`document` with one kind of line ending, and how many lines a save will change."""
    text, newline, changed = uniform_newlines(document.text, document.newline)
    return replace(document, text=text, newline=newline), changed
