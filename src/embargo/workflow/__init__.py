"""The compliance workflow: customers, screenings, alerts, review (four-eyes) and whitelist.

``from embargo.workflow import Workflow`` (loaded on first use: ``embargo.store`` imports
``embargo.workflow.tables`` so that ``Store.open`` creates the tables, and the service must not
be imported while the store package itself is still loading).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from embargo.workflow.config import WorkflowConfig
    from embargo.workflow.errors import AlreadyDecidedError, FourEyesError, WorkflowError
    from embargo.workflow.service import CustomerInput, Workflow

_EXPORTS = {
    "Workflow": "embargo.workflow.service",
    "CustomerInput": "embargo.workflow.service",
    "WorkflowConfig": "embargo.workflow.config",
    "WorkflowError": "embargo.workflow.errors",
    "AlreadyDecidedError": "embargo.workflow.errors",
    "FourEyesError": "embargo.workflow.errors",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'embargo.workflow' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "AlreadyDecidedError",
    "CustomerInput",
    "FourEyesError",
    "Workflow",
    "WorkflowConfig",
    "WorkflowError",
]
