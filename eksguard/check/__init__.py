"""The check pipeline: run a program under the embedded engine, judge what it declares with the pack(s)."""

from eksguard.check.pipeline import CheckOptions, CheckOutcome, Progress, run_check

__all__ = ["CheckOptions", "CheckOutcome", "Progress", "run_check"]
