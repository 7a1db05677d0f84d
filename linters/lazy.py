"""`lazy`: a property computed on first read and stored on the instance.

It is `functools.cached_property` without the lock that Python 3.11's version takes on every first
read (3.12 dropped it): a lint reads a dozen such facts once each, and the lock cost more than
most of them. The value goes straight into the instance's `__dict__`, so frozen dataclasses can
use it too, and later reads never reach the descriptor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class lazy:  # lower case: a decorator, like `property`
    def __init__(self, compute: Callable[[Any], Any]):
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value
