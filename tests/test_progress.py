"""Progress on standard error for long commands: a bar on a terminal, nothing in a file or pipe."""

from __future__ import annotations

import io
import threading

from click.testing import CliRunner

from registry import api
from registry.cli import cli
from registry.progress import NO_PROGRESS, BarProgress, on_terminal


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_only_on_a_terminal():
    assert on_terminal(io.StringIO()) is NO_PROGRESS
    assert isinstance(on_terminal(Terminal()), BarProgress)


def test_the_bar_counts_every_step_from_several_threads():
    screen = Terminal()
    progress = BarProgress(screen)
    progress.start(400, "counting")
    workers = [threading.Thread(target=lambda: [progress.advance() for _ in range(100)]) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert progress.bar.pos == 400
    progress.finish()
    assert "counting" in screen.getvalue() and "400/400" in screen.getvalue()


def test_checks_and_dedupe_report_their_progress(tmp_path):
    path = tmp_path / "r.db"
    seed = tmp_path / "seed.yml"
    seed.write_text("institutions:\n  - {id: uio, name: University of Oslo, country: NO}\n"
                    "  - {id: uio-2, name: Universitetet i Oslo, country: NO}\n", encoding="utf-8")
    api.load([seed], path)
    screen = Terminal()
    run = api.check(path, families=["DQ"], progress=BarProgress(screen))
    assert "running checks" in screen.getvalue() and f"{len(run.checks)}/{len(run.checks)}" in screen.getvalue()
    screen = Terminal()
    api.dedupe(path, progress=BarProgress(screen))
    assert "comparing names" in screen.getvalue() and "2/2" in screen.getvalue()  # both names of the two


def test_a_command_writing_to_a_pipe_shows_no_bar(tmp_path):
    path = tmp_path / "r.db"
    api.init(path, reference=False)
    result = CliRunner().invoke(cli, ["check", "--db", str(path), "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert "running checks" not in result.output
