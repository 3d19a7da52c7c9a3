"""The review screen (Textual): the day's entries on the left, the selected paper on the right (header, summary
with marked figures, findings, source text: side by side from 120 columns), a status line, a one-line hint prompt
for `r`, and the keys in the footer. Changes are made by the desk (review/desk.py) in worker threads, so the
screen never waits on a lock, a disk or the model; the day is read again whenever DATE.json changes on disk."""

from __future__ import annotations

from datetime import date

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Input, Static

from authoring.config import Settings
from authoring.errors import DigestError, passes_through
from authoring.review import panes
from authoring.review.desk import DayState, Desk

WATCH_SECONDS = 0.5  # how often DATE.json is looked at for changes made by other commands


class HintPrompt(Input):
    """The one-line prompt of `r`: Enter sends the hint (empty is allowed), Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "cancel"), Binding("enter", "submit", "send")]

    def action_cancel(self) -> None:
        self.app.call_later(self.app.close_prompt, "Regeneration cancelled")  # type: ignore[attr-defined]


class ReviewApp(App):
    """`digest review DATE`."""

    TITLE = "digest review"
    AUTO_FOCUS = "#entries"
    ENABLE_COMMAND_PALETTE = False  # every action has its key in the footer
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    CSS_PATH = "review.tcss"
    BINDINGS = [
        Binding("j", "move(1)", "next"),
        Binding("k", "move(-1)", "prev"),
        Binding("a", "reviewed", "reviewed"),
        Binding("r", "regenerate", "regen"),
        Binding("e", "edit", "edit"),
        Binding("u", "undo", "undo"),
        Binding("f", "filter", "filter"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, desk: Desk, *, watch: bool = True):
        super().__init__()
        self.desk = desk
        self.state: DayState | None = None
        self.filtered = False
        self.running: set[str] = set()  # entries being regenerated
        self.message = ""
        self._watch = watch
        self._stamp: tuple | None = None
        self._quit_asked = False
        self._shown: list[str] = []  # ids of the rows, in order

    # -------------------------------------------------------------------------------------------- the screen
    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield DataTable(id="entries", cursor_type="row", zebra_stripes=False)
            with VerticalScroll(id="detail"):
                yield Static(id="header")
                with Vertical(id="columns"):
                    with Vertical(classes="column"):
                        yield Static(id="summary")
                        yield Static(id="findings")
                    yield Static(id="source", classes="column")
        yield Static(id="status")
        yield HintPrompt(id="hint", placeholder="hint for the model (Enter sends, Escape cancels; may be empty)")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#entries", DataTable)
        table.add_column("#", key="n")
        table.add_column("status", key="status", width=8)
        table.add_column("finds", key="findings")
        table.add_column("title", key="title")
        self.title = f"digest review {self.desk.day.isoformat()}"
        self.desk.notice = self._notice  # the store's notices (waiting for the day's lock...) on the status line
        self.reload()
        if self._watch:
            self.set_interval(WATCH_SECONDS, self._look_at_disk)

    @property
    def table(self) -> DataTable:
        return self.query_one("#entries", DataTable)

    def selected_id(self) -> str | None:
        row = self.table.cursor_row
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def reload(self) -> None:
        """Read the day again and show it, keeping the selected entry selected."""
        self._stamp = self.desk.stamp()
        try:
            state = self.desk.read()
        except DigestError as problem:
            self.say(f"Error: {problem}")
            return
        self.show_state(state)

    def show_state(self, state: DayState) -> None:
        keep = self.selected_id()
        self.state = state
        entries = [e for e in state.digest.entries if not self.filtered or state.needs_attention(e)]
        table = self.table
        table.clear()
        self._shown = [entry.id for entry in entries]
        numbers = {entry.id: n for n, entry in enumerate(state.digest.entries, start=1)}
        for entry in entries:
            status, findings, title = self._cells(entry)
            table.add_row(str(numbers[entry.id]), status, findings, title, key=entry.id)
        if keep in self._shown:
            table.move_cursor(row=self._shown.index(keep), animate=False)
        self.show_entry()
        self.show_status()

    def _cells(self, entry) -> tuple[str, str, str]:
        assert self.state is not None
        status, findings, title = panes.row(entry, len(self.state.findings_of(entry)))
        return ("regen…" if entry.id in self.running else status), findings, title

    def show_entry(self) -> None:
        with self.batch_update():  # one frame for the four panes, not one each
            self._show_entry()

    def _show_entry(self) -> None:
        entry_id, state = self.selected_id(), self.state
        entry = state.digest.entry(entry_id) if state and entry_id else None
        header, summary, findings, source = (self.query_one(f"#{name}", Static)
                                             for name in ("header", "summary", "findings", "source"))
        if state is None or entry is None:
            header.update("No entry to show" + (" (the filter hides them all: f shows every entry)"
                                                if self.filtered else ""))
            for widget in (summary, findings, source):
                widget.update("")
            return
        position = state.digest.entries.index(entry) + 1
        header.update(panes.header(entry, position, len(state.digest.entries)))
        summary.update(panes.summary(entry, state.sources.get(entry.id)))
        findings.update(panes.findings(state.findings_of(entry)))
        source.update(panes.source_text(state.sources.get(entry.id)))
        detail = self.query_one("#detail", VerticalScroll)
        if detail.scroll_y:  # a new entry starts at its top (no second layout pass when it is there already)
            detail.scroll_home(animate=False)

    def show_status(self) -> None:
        state = self.state
        if state is None:
            self.query_one("#status", Static).update(self.message)
            return
        entries = state.digest.entries
        reviewed = sum(1 for e in entries if e.reviewed)
        parts = [f"{reviewed}/{len(entries)} reviewed", f"DATE.md {state.markdown}"]
        if self.filtered:
            parts.append(f"filter: {len(self._shown)} need attention")
        if self.running:
            parts.append(f"regenerating {', '.join(sorted(self.running))}")
        if self.message:
            parts.append(self.message)
        self.query_one("#status", Static).update(" · ".join(parts))

    def say(self, message: str) -> None:
        self.message = message
        self.show_status()

    def _notice(self, message: str) -> None:
        """`say`, from the app's thread or a worker's."""
        try:
            self.call_from_thread(self.say, message)
        except RuntimeError:  # already on the app's thread
            self.say(message)

    @on(DataTable.RowHighlighted, "#entries")
    def _highlighted(self) -> None:
        self.show_entry()

    def _look_at_disk(self) -> None:
        """Another command changed the day (a `digest set`, a run's journal): show the day as it is now."""
        if self.desk.stamp() != self._stamp:
            self.reload()

    # ----------------------------------------------------------------------------------------------- the keys
    def action_move(self, step: int) -> None:
        if step > 0:
            self.table.action_cursor_down()
        else:
            self.table.action_cursor_up()

    def action_filter(self) -> None:
        self.filtered = not self.filtered
        if self.state is not None:
            self.show_state(self.state)
        self.say("Showing entries with findings or not reviewed" if self.filtered else "Showing every entry")

    def _idle_entry(self) -> str | None:
        """The selected entry, unless it is being regenerated: a change now would make the model's answer lose to
        it (kept aside in the history, not shown)."""
        entry_id = self.selected_id()
        if entry_id in self.running:
            self.say(f"{entry_id} is being regenerated; wait for its answer")
            return None
        return entry_id

    def action_reviewed(self) -> None:
        entry_id = self._idle_entry()
        if entry_id is not None:
            self._toggle(entry_id)

    @work(thread=True, group="changes")
    def _toggle(self, entry_id: str) -> None:
        try:
            marked = self.desk.toggle_reviewed(entry_id)
        except DigestError as problem:
            self.call_from_thread(self.say, f"Error: {problem}")
            return
        self.call_from_thread(self._changed, f"{entry_id} {'marked reviewed' if marked else 'no longer reviewed'}")

    def _changed(self, message: str) -> None:
        self.message = message
        self.reload()

    def action_regenerate(self) -> None:
        entry_id = self._idle_entry()
        if entry_id is None:
            return
        prompt = self.query_one("#hint", HintPrompt)
        prompt.value = ""
        prompt.border_title = entry_id
        prompt.add_class("-open")
        prompt.focus()
        entry = self.state.digest.entry(entry_id) if self.state is not None else None
        if entry is not None and entry.provenance is not None and entry.provenance.edited:
            self.say(f"{entry_id} was edited by hand: Enter replaces the edit with the model's new summary (u brings "
                     "it back), Escape keeps it")
        else:
            self.say(f"Regenerate {entry_id}: type a hint for the model, Enter sends, Escape cancels")

    def close_prompt(self, message: str) -> None:
        prompt = self.query_one("#hint", HintPrompt)
        prompt.remove_class("-open")
        self.table.focus()
        self.say(message)

    @on(Input.Submitted, "#hint")
    def _hint_given(self, event: Input.Submitted) -> None:
        entry_id = str(event.input.border_title or "")
        self.close_prompt(f"Regenerating {entry_id}…")
        self.running.add(entry_id)
        if self.state is not None:
            self.show_state(self.state)
        self._regenerate(entry_id, event.value.strip())

    @work(thread=True, group="regenerate")
    def _regenerate(self, entry_id: str, hint: str) -> None:
        def notice(message: str) -> None:
            self.call_from_thread(self.say, message)

        try:
            report = self.desk.regenerate(entry_id, hint, notice=notice)
            problem = report.failed.get(entry_id) or report.conflicts.get(entry_id)
            message = f"{entry_id}: {problem}" if problem else f"Regenerated {entry_id}"
        except DigestError as error:
            message = f"Error: {error}"
        except Exception as error:  # a --cassette replay that met a request it does not hold
            if not passes_through(error):
                raise
            message = f"Error: {str(error).splitlines()[0]}"
        self.call_from_thread(self._regenerated, entry_id, message)

    def _regenerated(self, entry_id: str, message: str) -> None:
        self.running.discard(entry_id)
        self._changed(message)

    def action_edit(self) -> None:
        entry_id = self._idle_entry()
        if entry_id is None:
            return
        try:
            changed = self.desk.edit(entry_id, self._editor)
        except DigestError as problem:
            self.refresh()
            self.say(f"Error: {problem}")
            return
        self.refresh()
        self._changed(f"Edited {entry_id}" if changed else "No changes; nothing saved")

    def _editor(self, text: str) -> str | None:
        """Run $VISUAL/$EDITOR as `digest edit` does (click.edit), with the terminal handed over to it."""
        import click

        def edit() -> str | None:
            try:
                return click.edit(text, editor=self.desk.settings.editor, extension=".md", require_save=True)
            except click.ClickException as problem:
                raise DigestError(f"cannot run the editor ({problem.message}); set $VISUAL or $EDITOR") from None

        if self.is_headless:  # tests: no terminal to hand over
            return edit()
        with self.suspend():
            return edit()

    def action_undo(self) -> None:
        self._undo()

    @work(thread=True, group="changes")
    def _undo(self) -> None:
        try:
            commands = self.desk.undo()
        except DigestError as problem:
            self.call_from_thread(self.say, f"Error: {problem}")
            return
        self.call_from_thread(self._changed, f"Undid {' and '.join(f'`digest {c}`' for c in commands)}")

    async def action_quit(self) -> None:
        if self.running and not self._quit_asked:
            self._quit_asked = True
            self.say(f"Regenerating {', '.join(sorted(self.running))}: q again quits now (the entry keeps its "
                     "previous summary unless the answer has landed)")
            return
        self.exit()


def review(settings: Settings, day: date, *, source: str | None = None) -> None:
    """Review a day on this terminal until the reviewer quits; a day that cannot be read is an error before the
    screen opens."""
    desk = Desk(settings, day, source=source)
    desk.read()
    ReviewApp(desk).run()
