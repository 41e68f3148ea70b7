"""Reviewer processes for the concurrency test (a module of its own: spawned processes import
it, and it must not pull in pytest fixtures)."""

from __future__ import annotations

import random
import time
import traceback
from pathlib import Path
from typing import Any

Outcome = tuple[str, int, str, str]  # (step, alert id, "ok" | error kind, message)


def review(
    url: str,
    data_dir: str,
    worker: int,
    alert_ids: list[int],
    start: Any,
    between: Any,
    results: Any,
) -> None:
    """Decide every alert (false positive for even ids, true match for odd), then try to
    confirm every pending one; report what happened to each attempt."""
    from embargo.settings import Settings
    from embargo.store import Store
    from embargo.workflow import (
        AlreadyDecidedError,
        FourEyesError,
        Workflow,
        WorkflowConfig,
    )

    out: list[Outcome] = []
    store = Store.open(url)
    try:
        wf = Workflow(
            store,
            None,
            Settings(data_dir=Path(data_dir), database_url=url),
            config=WorkflowConfig(four_eyes=True),
        )
        actor = f"reviewer-{worker}"
        order = list(alert_ids)
        random.Random(worker).shuffle(order)
        start.wait(timeout=60)
        began = time.time()
        for aid in order:
            decision = "false_positive" if aid % 2 == 0 else "true_match"
            try:
                wf.decide(aid, decision, f"decided by worker {worker}", actor=actor)
                out.append(("decide", aid, "ok", ""))
            except AlreadyDecidedError as exc:
                out.append(("decide", aid, "already", str(exc)))
        out.append(("timing", 0, repr(began), repr(time.time())))
        between.wait(timeout=60)
        random.Random(worker + 100).shuffle(order)
        for aid in order:
            if aid % 2 == 0:
                continue
            try:
                wf.confirm(aid, actor=actor)
                out.append(("confirm", aid, "ok", ""))
            except AlreadyDecidedError as exc:
                out.append(("confirm", aid, "already", str(exc)))
            except FourEyesError as exc:
                out.append(("confirm", aid, "four-eyes", str(exc)))
    except Exception:
        out.append(("crash", 0, "error", traceback.format_exc()))
        start.abort()
        between.abort()
    finally:
        store.close()
        results.put((worker, out))
