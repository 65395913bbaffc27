"""eksguard's hardened Pulumi components, one module per concern (docs/DESIGN.md).

The components read the policy pack's EKS version data (``eksguard_policies``). An installed eksguard brings
that package along; a clone of this repository keeps it in the sibling ``policies/`` folder, which is put on the
path here when the package is not otherwise importable. So the reference stack and the component plugin import
in exactly the environment the Pulumi CLI builds: ``pulumi install`` installs requirements.txt alone, and the
Python language host puts only the program's folder on the path.
"""

import importlib.util
import sys
from pathlib import Path

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"


def _make_policy_pack_importable() -> None:
    if importlib.util.find_spec("eksguard_policies") is None and (POLICIES_DIR / "eksguard_policies").is_dir():
        sys.path.append(str(POLICIES_DIR))


_make_policy_pack_importable()
