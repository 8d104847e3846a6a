"""The IPython extension every grading kernel loads: ``import matplotlib.pyplot`` gives a module whose
code runs when one of its names is first used, so a notebook that imports pyplot and draws nothing
while it is graded does not pay for the import (a quarter of a second of CPU, a good part of a
small notebook's own work).

It is copied into the sealed folder on the kernel's path (``grader.run.sandbox``) and named on the
kernel's command line (``grader.run.execute``). It imports only the standard library. A notebook
sees the same pyplot as without it, with the same backend: using any of its names (``plt.plot``,
``from matplotlib.pyplot import subplots``, ``dir(plt)``) runs the module first.

The standard library's ``importlib.util.LazyLoader`` runs the module as soon as anything reads
its ``__spec__``, which the import system does when the module is imported a second time (as
``course_lib.plots`` does after the notebook's own import). The module here answers the import
system's questions without running.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types

LAZY_MODULES = frozenset({"matplotlib.pyplot"})
# What the import system reads of a module already imported, and what is known before it runs.
KNOWN_BEFORE_RUNNING = frozenset({"__spec__", "__name__", "__loader__", "__package__",
                                  "__path__", "__file__", "__class__"})


class DeferredModule(types.ModuleType):
    """A module not yet run: reading or setting any other name runs it first."""

    def __getattribute__(self, name):
        if name in KNOWN_BEFORE_RUNNING:
            return super().__getattribute__(name)
        run(self)
        return getattr(self, name)

    def __setattr__(self, name, value):
        run(self)
        setattr(self, name, value)

    def __delattr__(self, name):
        run(self)
        delattr(self, name)


def run(module: DeferredModule) -> None:
    """Run a deferred module's code, once; it is an ordinary module from then on."""
    object.__setattr__(module, "__class__", types.ModuleType)
    module.__spec__.loader.exec_module(module)


class DeferredLoader(importlib.abc.Loader):
    """Makes the module as ``loader`` would, and leaves running it to its first use."""

    def __init__(self, loader: importlib.abc.Loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = module.__loader__ = self.loader
        module.__class__ = DeferredModule


class DeferredFinder(importlib.abc.MetaPathFinder):
    """Finds the modules in ``LAZY_MODULES`` as the path finder does, and defers running them."""

    def find_spec(self, name, path, target=None):
        if name not in LAZY_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = DeferredLoader(spec.loader)
        return spec


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, DeferredFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, DeferredFinder())


def load_ipython_extension(ipython) -> None:  # noqa: ARG001 - IPython's extension interface
    install()
