"""eksguard's components as a Pulumi component package, usable from any Pulumi language:
``pulumi package add <path or git URL>/components`` generates a local SDK from the schema served here.

The Pulumi CLI runs this folder as ``python <plugin dir> <engine address> [flags]`` inside the plugin's own
virtualenv (``venv``, built from requirements.txt). The component provider host prints its port on stdout
and infers the package schema from the components' type annotations and attribute docstrings
(https://www.pulumi.com/docs/iac/guides/building-extending/components/build-a-component/).
"""

import dataclasses
import importlib
import inspect
import sys
import typing
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

PLUGIN_DIR = Path(__file__).resolve().parent
REPO_ROOT = PLUGIN_DIR.parent


def fix_import_path() -> None:
    """``python <dir>`` puts the plugin folder itself first on sys.path, where ``cluster.py`` and friends
    would import as top-level modules; import them as the ``components`` package from the repository
    instead (importing it makes the sibling ``policies/`` folder importable, see ``components/__init__.py``)."""
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != PLUGIN_DIR]
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    importlib.import_module("components")


fix_import_path()
from eksguard_policies import facts  # noqa: E402 (importable once the path is fixed)

PACKAGE_NAME = facts.PACKAGE
PACKAGE_VERSION = facts.VERSION
COMPONENTS = tuple((f"components.{module}", class_name) for class_name, module in facts.COMPONENTS.items())
"""(module, class) of every component the package serves (facts.COMPONENTS); type tokens are facts.component_token."""


def load_components() -> list[type]:
    """The component classes of COMPONENTS, imported from the repository's `components` package."""
    modules: dict[str, ModuleType] = {}
    for module_name, _ in COMPONENTS:
        modules.setdefault(module_name, importlib.import_module(module_name))
    return [getattr(modules[module_name], class_name) for module_name, class_name in COMPONENTS]


def prepare_for_schema_inference(components: Iterable[type]) -> None:
    """Adapt the components' annotations to what the SDK's schema analyzer reads.

    The analyzer reads raw ``__annotations__``: postponed annotations (``from __future__ import
    annotations``) would reach it as strings, so they are evaluated here. And it takes a property as
    optional only when its type is ``Optional``: an args dataclass field with a default is optional for
    callers too (the default applies when it is omitted), so its type is widened to ``Optional``.
    """
    seen: set[type] = set()
    for component in components:
        init_hints = inspect.get_annotations(component.__init__, eval_str=True)
        # ``args: XArgs | None`` is accepted in Python; the analyzer wants the args class itself.
        init_hints["args"] = _without_none(init_hints["args"])
        component.__init__.__annotations__ = init_hints
        _evaluate_own_annotations(component)
        _prepare_args_type(init_hints["args"], seen)


def _without_none(hint: typing.Any) -> typing.Any:
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return args[0] if type(None) in typing.get_args(hint) and len(args) == 1 else hint


def _evaluate_own_annotations(cls: type) -> dict[str, typing.Any]:
    # Only the class's own: typing.get_type_hints would also evaluate the Pulumi SDK base classes'.
    cls.__annotations__ = inspect.get_annotations(cls, eval_str=True)
    return cls.__annotations__


def _prepare_args_type(args_type: typing.Any, seen: set[type]) -> None:
    for dataclass_type in _dataclasses_in(args_type):
        if dataclass_type in seen:
            continue
        seen.add(dataclass_type)
        annotations = _evaluate_own_annotations(dataclass_type)
        for field in dataclasses.fields(dataclass_type):
            has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
            hint = annotations.get(field.name)
            if hint is not None and has_default and type(None) not in typing.get_args(hint):
                annotations[field.name] = typing.Optional[hint]  # noqa: UP045 (a value built at run time)
        for hint in list(annotations.values()):
            _prepare_args_type(hint, seen)


def _dataclasses_in(hint: typing.Any) -> list[type]:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return [hint]
    return [found for arg in typing.get_args(hint) for found in _dataclasses_in(arg)]


def main() -> None:
    from pulumi.provider.experimental import component_provider_host

    components = load_components()
    prepare_for_schema_inference(components)
    component_provider_host(components=components, name=PACKAGE_NAME, version=PACKAGE_VERSION)


if __name__ == "__main__":
    main()
