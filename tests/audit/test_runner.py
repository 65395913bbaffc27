"""Regions are scanned concurrently, each reported to the progress display when done."""

from __future__ import annotations

import threading

from eksguard.audit import cli, runner
from eksguard.audit.aws import RegionRead
from eksguard.audit.live import Inventory
from tests.audit.seed import TODAY

REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2"]


def test_regions_are_scanned_concurrently_in_the_given_order(monkeypatch):
    # Every collector waits until all regions are in flight: a sequential scan breaks the barrier.
    barrier = threading.Barrier(len(REGIONS), timeout=30)

    def collect(session, region, account, regions, today):
        barrier.wait()
        return RegionRead(session, region, Inventory(account))

    done: list[str] = []
    monkeypatch.setattr(runner, "collect_region", collect)
    reads = runner.scan_regions(None, "1", REGIONS, TODAY, done.append)
    assert [read.region for read in reads] == REGIONS
    assert sorted(done) == sorted(REGIONS)


class RecordingProgress:
    def __init__(self) -> None:
        self.tasks: dict[int, dict] = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def add_task(self, description: str, total: int) -> int:
        self.tasks[len(self.tasks)] = {"description": description, "total": total, "completed": 0}
        return len(self.tasks) - 1

    def advance(self, task: int) -> None:
        self.tasks[task]["completed"] += 1


def test_cli_advances_the_progress_display_once_per_region(endpoint, monkeypatch, capsys):
    progress = RecordingProgress()
    enabled: list[bool] = []
    monkeypatch.setattr(cli, "_progress", lambda on: enabled.append(on) or progress)
    code = cli.main(["--region", REGIONS[0], "--region", REGIONS[1], "--endpoint-url", endpoint, "--format", "json"])
    assert code in (0, 1)
    assert enabled == [True]
    assert progress.tasks == {0: {"description": "auditing regions", "total": 2, "completed": 2}}
    capsys.readouterr()


def test_progress_display_is_off_with_no_progress_or_without_a_terminal():
    assert cli._progress(False).disable is True
    assert cli._progress(True).disable is True  # pytest captures stderr: not a terminal
