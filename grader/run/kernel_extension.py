"""The IPython extension every grading kernel loads: ``import matplotlib.pyplot`` gives modules
(pyplot and the matplotlib package) whose code runs when one of their names is first used, so a
notebook that imports pyplot and draws nothing while it is graded does not pay for the import
(0.3-0.4 s of CPU, a good part of a small notebook's own work).

It is copied into the sealed folder on the kernel's path (``grader.run.sandbox``) and named on the
kernel's command line (``grader.run.execute``). It imports only the standard library. A notebook
sees the same modules as without it, with the same backend:

* using any name of a deferred module (``plt.plot``, ``from matplotlib.pyplot import subplots``,
  ``dir(plt)``, ``matplotlib.rcParams``) runs it first;
* importing any other part of a deferred package (``import matplotlib.colors``) runs the
  package first, as a plain import would have, and a submodule the package imported while
  running is then the one the import gets (never a second copy);
* ``importlib.reload`` runs a module again, as usual.

The standard library's ``importlib.util.LazyLoader`` runs a module as soon as anything reads its
``__spec__``, which the import system does when the module is imported a second time (as
``course_lib.plots`` does after the notebook's own import), and it runs a package when any of
its submodules is imported. The modules here answer the import system's questions without
running.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types

LAZY_MODULES = frozenset({"matplotlib", "matplotlib.pyplot"})
# What the import system reads of a module already imported, and what is known before it runs.
KNOWN_BEFORE_RUNNING = frozenset({"__spec__", "__name__", "__loader__", "__package__",
                                  "__path__", "__file__", "__class__"})


class DeferredModule(types.ModuleType):
    """A module not yet run: reading or setting any other name runs it first, except its
    submodules that are already imported (``import matplotlib.pyplot as plt`` reads pyplot from
    the package, and the import system sets it there)."""

    def __getattribute__(self, name):
        if name in KNOWN_BEFORE_RUNNING:
            return super().__getattribute__(name)
        value = super().__getattribute__("__dict__").get(name)
        if value is not None and value is _submodule(self, name):
            return value
        run(self)
        return getattr(self, name)

    def __setattr__(self, name, value):
        if value is not None and value is _submodule(self, name):
            # the package's code, when it runs, runs in this same namespace, as after any import
            return super().__setattr__(name, value)
        run(self)
        setattr(self, name, value)

    def __delattr__(self, name):
        run(self)
        delattr(self, name)


def _submodule(package: types.ModuleType, name: str):
    """The module imported as ``package.name``, if any."""
    return sys.modules.get(f"{object.__getattribute__(package, '__name__')}.{name}")


def run(module: types.ModuleType) -> None:
    """Run a deferred module's code, once; it is an ordinary module from then on."""
    if type(module) is DeferredModule:
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


class AlreadyImported(importlib.abc.Loader):
    """Hands the import system a module that is already in ``sys.modules``, unchanged."""

    def __init__(self, module: types.ModuleType):
        self.module = module
        self.spec = module.__spec__       # put back once the import system is done

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        module.__spec__ = self.spec


class DeferredFinder(importlib.abc.MetaPathFinder):
    """Finds the modules in ``LAZY_MODULES`` as the path finder does, and defers running them.
    Asked for another submodule of a deferred package, it runs the package first."""

    def find_spec(self, name, path, target=None):
        parent = name.rpartition(".")[0]
        if name not in LAZY_MODULES and type(sys.modules.get(parent)) is DeferredModule:
            run(sys.modules[parent])
            if target is None and name in sys.modules:    # the package imported it
                module = sys.modules[name]
                # the import system takes the spec of a module it finds in sys.modules
                module.__spec__ = importlib.machinery.ModuleSpec(name, AlreadyImported(module))
                return module.__spec__
            return None
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
