"""The tests' stand-ins and samples (tests/support/), for the benchmarks that drive the same
servers and pages. tests/ is not a package; pytest finds these modules through its `pythonpath`
setting, and the benchmarks through `load`."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

SUPPORT = Path(__file__).resolve().parents[1] / "tests" / "support"


def load(name: str) -> ModuleType:
    """tests/support/<name>.py, imported by name as pytest imports it."""
    if str(SUPPORT) not in sys.path:
        sys.path.insert(0, str(SUPPORT))
    return importlib.import_module(name)
