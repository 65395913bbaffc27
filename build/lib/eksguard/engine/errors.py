"""The two ways a ``check`` run can fail before a verdict: bad input, or a program that raised."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input (missing program, stack config, pack, policy config, fixtures): one clear message."""


class ProgramError(Exception):
    """The Pulumi program raised; ``program_traceback`` shows only the program's own frames."""

    def __init__(self, message: str, program_traceback: str) -> None:
        super().__init__(message)
        self.program_traceback = program_traceback
