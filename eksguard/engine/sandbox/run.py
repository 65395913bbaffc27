"""Runs one Pulumi Python program in this process, as the Python language host does, on the recording monitor.

The job (first line on the channel) names the program, its stack config and the run's mode. The program sees
only its own folder on ``sys.path`` ahead of its interpreter's packages, and runs as ``__main__``.
"""

from __future__ import annotations

import collections.abc
import gc
import os
import runpy
import sys
import traceback
import typing
from pathlib import Path
from typing import Any

from .autonaming import UNKNOWN, AutonameError
from .channel import Channel
from .monitor import SITE_MARKERS, Locator, RecordingMonitor

# The SDK allocates many short-lived objects per resource (tasks, futures); with the default thresholds the
# cyclic GC rescans the large, long-lived heap of provider SDK modules over and over (measured: ~45% of
# the program run's CPU on 800 resources). Collect less often while the program runs.
_RUN_GC_THRESHOLD = (50_000, 20, 100)


def program_traceback(exc: BaseException, program_dir: Path) -> str:
    """The exception's traceback with only the program's own frames.

    Without any (a syntax error, an error raised inside the SDK) only the exception itself is shown: a
    SyntaxError names the file and line there, and engine frames would only hide it.
    """
    te = traceback.TracebackException.from_exception(exc)
    frames = [
        f
        for f in te.stack
        if f.filename.startswith(str(program_dir)) and not any(m in f.filename for m in SITE_MARKERS)
    ]
    if not frames:
        return "".join(te.format_exception_only())
    te.stack = traceback.StackSummary.from_list(frames)
    # Chained causes are engine internals (RPC wrappers); the program's own error is enough.
    te.__cause__ = te.__context__ = None
    return "".join(te.format())


def unknown_result(typ: type) -> Any:
    """A plain invoke's typed result when the answer is unknown: each string field holds the unknown sentinel
    (a resource input built from it reaches the pack as unknown), a list of strings one such element, every
    other field None. The program can go on, as it would with a real answer."""
    from pulumi import _types
    from pulumi.runtime import rpc

    fields: dict[str, Any] = {}
    for name, hint in _types.output_type_types(typ).items():
        hint = _types.unwrap_optional_type(hint)
        if hint is str:
            fields[name] = UNKNOWN
        elif typing.get_origin(hint) in (list, collections.abc.Sequence) and typing.get_args(hint) == (str,):
            fields[name] = [UNKNOWN]
    return rpc.translate_output_properties(fields, lambda p: p, typ)


def _answer_plain_invokes_when_unknown() -> None:
    """Generated SDKs call ``pulumi.runtime.invoke(...).value`` for plain (non-output) invokes and read each
    field of the result; an unknown answer would leave them None and crash the program inside the SDK."""
    import pulumi.runtime
    from pulumi.runtime.invoke import InvokeResult

    original = pulumi.runtime.invoke

    def invoke(tok: str, props: Any, opts: Any = None, typ: Any = None, package_ref: Any = None) -> Any:
        result = original(tok, props, opts, typ, package_ref)
        if result.is_known or typ is None:
            return result
        return InvokeResult(unknown_result(typ))

    pulumi.runtime.invoke = invoke


def run(job: dict[str, Any], channel: Channel) -> dict[str, Any]:
    """Run the program of ``job``; the message that ends the run (``done`` or ``error``)."""
    try:
        import pulumi
        from pulumi.runtime import config as runtime_config
        from pulumi.runtime import mocks
        from pulumi.runtime.stack import run_pulumi_func
        from pulumi.runtime.sync_await import _sync_await
    except ImportError as exc:
        return {"kind": "error", "error": "no-sdk", "message": f"{type(exc).__name__}: {exc}"}

    program_dir = Path(job["program_dir"])
    main = job["main"]
    os.chdir(program_dir)
    sys.path.insert(0, str(program_dir))
    sys.argv = [main]
    gc.set_threshold(*_RUN_GC_THRESHOLD)
    monitor = RecordingMonitor(
        channel, Locator(program_dir, Path(job["source_root"])), job["region"], bool(job["assume_apply"])
    )
    runtime_config.set_all_config(dict(job["config"]), list(job["secret_keys"]))
    # Always a preview to the SDK: a value nobody can know stays unknown (under --assume-apply too) instead of
    # resolving to None and vanishing from the inputs of the resources built from it.
    mocks.set_mocks(
        None,  # type: ignore[arg-type]  # the monitor answers everything the mocks would
        project=job["project"],
        stack=job["stack"],
        preview=True,
        monitor=monitor,
        organization="organization",
    )
    _answer_plain_invokes_when_unknown()
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(main, run_name="__main__")))
    except pulumi.ConfigMissingError as exc:
        return {"kind": "error", "error": "config-missing", "key": exc.key}
    except AutonameError as exc:
        return {"kind": "error", "error": "check-failed", "message": str(exc)}
    except SystemExit as exc:
        if exc.code not in (0, None):
            return {"kind": "error", "error": "program", "message": f"the program exited with status {exc.code}"}
    except Exception as exc:
        cause = _autoname_cause(exc)
        if cause is not None:
            return {"kind": "error", "error": "check-failed", "message": str(cause)}
        return {
            "kind": "error",
            "error": "program",
            "exception": type(exc).__name__,
            "message": f"the program raised {type(exc).__name__}: {exc}",
            "traceback": program_traceback(exc, program_dir),
        }
    return {"kind": "done", "stack_urn": monitor.stack_urn, "resources": monitor.count}


def _autoname_cause(exc: BaseException) -> AutonameError | None:
    """The SDK wraps a monitor error raised during registration; find an AutonameError in the chain."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, AutonameError):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def main(argv: list[str]) -> int:
    channel = Channel(int(argv[0]), int(argv[1]))
    job = channel.receive()
    channel.send(run(job, channel))
    return 0
