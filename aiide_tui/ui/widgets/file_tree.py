"""The project's files as a tree, with git status, built from the workspace's file list.

The list comes from the workspace service (so `.gitignore` is honoured and a
remote `aiide serve` works the same); directories fill in when expanded, so a
repository of many thousands of files opens at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from aiide_tui.keymap import ACTIONS_BY_ID
from aiide_tui.ui.terminal_output import visible

STATUS_MARKS = {
    "modified": ("M", "$warning"),
    "added": ("A", "$success"),
    "untracked": ("U", "$success"),
    "deleted": ("D", "$error"),
    "renamed": ("R", "$warning"),
    "conflict": ("C", "$error"),
}


@dataclass
class _Dir:
    dirs: dict[str, _Dir] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Entry:
    """What a tree node stands for: a file or a directory, by project-relative path."""

    path: str
    is_dir: bool


def _build(paths: list[str]) -> _Dir:
    top = _Dir()
    for path in paths:
        *parts, name = path.split("/")
        node = top
        for part in parts:
            node = node.dirs.setdefault(part, _Dir())
        node.files.append(name)
    return top


class FileMessage(Message):
    """Something the user asked of one file in the tree."""

    def __init__(self, tree: FileTree, path: str) -> None:
        super().__init__()
        self.tree = tree
        self.path = path

    @property
    def control(self) -> FileTree:
        return self.tree


class FileTree(Tree[Entry]):
    """Project files; Enter opens a file, directories expand lazily."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", show=False),
        Binding("r", "refresh_tree", "Refresh", show=False),
        Binding(
            ACTIONS_BY_ID["delete_file"].default_keys, "delete_file", "Delete", id="delete_file"
        ),
        Binding(
            ACTIONS_BY_ID["rename_file"].default_keys, "rename_file", "Rename", id="rename_file"
        ),
    ]

    DEFAULT_CSS = """
    FileTree {
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1 0 0;
        &:focus-within { border: round $accent; border-title-color: $text; }
        & > .file-tree--status-modified { color: $warning; }
        & > .file-tree--status-added { color: $success; }
        & > .file-tree--status-deleted { color: $error; }
    }
    """

    COMPONENT_CLASSES = {
        "file-tree--status-modified",
        "file-tree--status-added",
        "file-tree--status-deleted",
    }

    class FileOpened(FileMessage):
        """The user asked to open a file."""

    class DeleteRequested(FileMessage):
        """The user asked to delete a file (the screen confirms first)."""

    class RenameRequested(FileMessage):
        """The user asked to rename or move a file (the screen asks where to)."""

    class RefreshRequested(Message):
        """The user asked to re-read the file list."""

    def __init__(self, *, id: str | None = None) -> None:
        self._top = _Dir()
        self._status: dict[str, str] = {}
        self._changed_dirs: set[str] = set()
        self._count = 0
        self.paths: tuple[str, ...] = ()
        """Every file listed, project-relative."""
        super().__init__("project", data=Entry("", True), id=id)
        self.border_title = "Files"
        self.show_root = False
        self.guide_depth = 2

    @property
    def file_count(self) -> int:
        return self._count

    def set_files(self, paths: list[str], status: dict[str, str] | None = None) -> None:
        """Replace the file list (and git status), keeping expanded directories open."""
        expanded = self._expanded_dirs()
        cursor = self.cursor_node.data.path if self.cursor_node and self.cursor_node.data else None
        self._count = len(paths)
        self.paths = tuple(paths)
        self._top = _build(paths)
        self.set_status(status or {}, refresh=False)
        self.root.remove_children()
        self._fill(self.root, self._top, "")
        for node in list(self._walk(self.root)):
            if node.data and node.data.is_dir and node.data.path in expanded:
                node.expand()
        self.root.expand()
        self.call_after_refresh(self._restore_cursor, cursor)

    def _restore_cursor(self, path: str | None) -> None:
        target = next((n for n in self._walk(self.root) if n.data and n.data.path == path), None)
        if target is not None:
            self.move_cursor(target, animate=False)
        elif self.cursor_line < 0 and self.root.children:
            self.cursor_line = 0

    def set_status(self, status: dict[str, str], *, refresh: bool = True) -> None:
        """Update git status marks without rebuilding the tree."""
        self._status = dict(status)
        self._changed_dirs = {
            "/".join(path.split("/")[:i]) for path in status for i in range(1, path.count("/") + 1)
        }
        if refresh:
            self._invalidate()
            self.refresh()

    def _fill(self, node: TreeNode[Entry], directory: _Dir, prefix: str) -> None:
        for name in sorted(directory.dirs, key=str.lower):
            path = f"{prefix}{name}"
            node.add(name, data=Entry(path, True), allow_expand=True)
        for name in sorted(directory.files, key=str.lower):
            node.add_leaf(name, data=Entry(f"{prefix}{name}", False))

    def _lookup(self, path: str) -> _Dir:
        directory = self._top
        for part in path.split("/") if path else []:
            directory = directory.dirs[part]
        return directory

    def _walk(self, node: TreeNode[Entry]):
        for child in node.children:
            yield child
            yield from self._walk(child)

    def _expanded_dirs(self) -> set[str]:
        return {
            node.data.path
            for node in self._walk(self.root)
            if node.data and node.data.is_dir and node.is_expanded
        }

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Entry]) -> None:
        node = event.node
        if node.data and node.data.is_dir and node is not self.root and not node.children:
            self._fill(node, self._lookup(node.data.path), f"{node.data.path}/")

    def on_tree_node_selected(self, event: Tree.NodeSelected[Entry]) -> None:
        event.stop()
        if event.node.data and not event.node.data.is_dir:
            self.post_message(self.FileOpened(self, event.node.data.path))

    def process_label(self, label: str | Text) -> Text:
        """A file name as it is: never markup (`[/].py` raised, `[b]x[/b]` showed `x`), and
        its control characters as pictures."""
        return Text(visible(label)) if isinstance(label, str) else label

    def render_label(self, node: TreeNode[Entry], base_style, style) -> Text:  # type: ignore[override]
        label = super().render_label(node, base_style, style)
        entry = node.data
        if entry is None:
            return label
        if entry.is_dir:
            if entry.path in self._changed_dirs:
                return self._fit(node, label, " •", "modified")
            return self._fit(node, label)
        status = self._status.get(entry.path)
        if status in STATUS_MARKS:
            mark, _ = STATUS_MARKS[status]
            kind = {
                "added": "added", "untracked": "added", "deleted": "deleted",
                "conflict": "deleted",
            }.get(status, "modified")  # fmt: skip
            label.stylize(self.get_component_rich_style(f"file-tree--status-{kind}"))
            return self._fit(node, label, f" {mark}", kind)
        return self._fit(node, label)

    def _fit(self, node: TreeNode[Entry], label: Text, mark: str = "", kind: str = "") -> Text:
        """The label, its middle cut to `…` where it would run past the panel (the end of a
        name, its extension, tells files apart more often than the start), then `mark`."""
        depth = 0
        parent = node.parent
        while parent is not None and parent is not self.root:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth - len(mark)
        if room > 0 and label.cell_len > room:
            tail = max(1, min(len(label.plain) // 2, (room - 1) // 2))
            label = Text.assemble(label[: room - 1 - tail], "…", label[-tail:])
        if mark:
            label.append(mark, self.get_component_rich_style(f"file-tree--status-{kind}"))
        return label

    def action_delete_file(self) -> None:
        if path := self.file_at_cursor():
            self.post_message(self.DeleteRequested(self, path))
        else:
            self._files_only("deleted")

    def action_rename_file(self) -> None:
        if path := self.file_at_cursor():
            self.post_message(self.RenameRequested(self, path))
        else:
            self._files_only("renamed or moved")

    def _files_only(self, done: str) -> None:
        node = self.cursor_node
        if node is not None and node.data is not None and node.data.is_dir:
            self.notify(
                f"{node.data.path}/ is a folder: files are {done} here one at a time "
                "(each step journaled, so alt+z undoes it).",
                timeout=4,
            )

    def file_at_cursor(self) -> str | None:
        """The file the cursor is on (None on a folder)."""
        node = self.cursor_node
        if node is not None and node.data is not None and not node.data.is_dir:
            return node.data.path
        return None

    def folder_at_cursor(self) -> str:
        """The folder the cursor is in: an expanded folder itself, else the folder that lists
        the item ("" for the project root)."""
        node = self.cursor_node
        if node is None or node.data is None:
            return ""
        if node.data.is_dir and node.is_expanded:
            return node.data.path
        return node.data.path.rpartition("/")[0]

    def action_refresh_tree(self) -> None:
        self.post_message(self.RefreshRequested())
