"""``python <this folder> <read-fd> <write-fd>``: run a Pulumi program for ``eksguard check``.

Python puts this folder first on ``sys.path``; it is taken off again, so that the program sees only its own
folder there (as under the Pulumi CLI), and the sandbox package is loaded under a private name instead.
"""

import importlib
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
_spec = importlib.util.spec_from_file_location(
    "_eksguard_sandbox", os.path.join(_HERE, "__init__.py"), submodule_search_locations=[_HERE]
)
_package = importlib.util.module_from_spec(_spec)
sys.modules["_eksguard_sandbox"] = _package
_spec.loader.exec_module(_package)
_code = importlib.import_module("_eksguard_sandbox.run").main(sys.argv[1:])
# The run is over and reported: skip the interpreter's shutdown, which waits on the SDK's executor threads and
# collects the provider SDKs' large heap (about a second) for nothing.
sys.stdout.flush()
sys.stderr.flush()
os._exit(_code)
