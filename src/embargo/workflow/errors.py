"""The workflow's errors, all ``EmbargoError`` so front ends show their message::

    EmbargoError
    └── WorkflowError              a review action is not allowed in the alert's state
        ├── AlreadyDecidedError    someone else decided (or confirmed) the alert first
        └── FourEyesError          the same reviewer tried to confirm their own decision

A missing customer, alert or whitelist entry is ``embargo.errors.NotFoundError``; bad input
(an unknown decision, an empty reason, a malformed customer) is ``QueryError``.
"""

from __future__ import annotations

from embargo.errors import EmbargoError


class WorkflowError(EmbargoError):
    """A review action is not allowed in the alert's current state."""


class AlreadyDecidedError(WorkflowError):
    """The alert was already decided (or confirmed) by someone else; nothing was changed."""


class FourEyesError(WorkflowError):
    """Four-eyes: the reviewer who made the first decision cannot also confirm it."""


__all__ = ["AlreadyDecidedError", "FourEyesError", "WorkflowError"]
