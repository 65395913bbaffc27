"""The embedded engine: runs a Pulumi Python program under mocks and records its resources."""

from eksguard.engine.errors import ProgramError, UsageError
from eksguard.engine.fixtures import InvokeFixtures, MissingFixtureError
from eksguard.engine.project import Project, load_project
from eksguard.engine.runner import ProgramRun, RecordedResource, default_variables, find_source_root, run_program

__all__ = [
    "InvokeFixtures",
    "MissingFixtureError",
    "ProgramError",
    "ProgramRun",
    "Project",
    "RecordedResource",
    "UsageError",
    "default_variables",
    "find_source_root",
    "load_project",
    "run_program",
]
