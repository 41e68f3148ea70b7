"""The Dask engine on a real ``LocalCluster`` of 2 worker processes: the same output as the
local engine, the screener shipped once per worker, and a clear message without Dask."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from embargo.batch import BatchError, ColumnMapping, run_batch
from embargo.batch import dask as dask_engine
from embargo.screening import Screener
from tests.batch.helpers import party_rows, read_output, write_csv

MAPPING = ColumnMapping(ref="ref", schema="schema", birth_date="dob", country="country")


@pytest.mark.slow
def test_dask_local_cluster_gives_the_local_engine_output(
    tmp_path: Path, factory: Callable[[], Screener], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    # No Person / LegalEntity queries: each worker would spend many seconds loading rigour's
    # person-name tagger (the local engine loads it once, before forking).
    rows = [
        r | {"schema": "Organization"} if r["schema"] == "Person" else r
        for r in party_rows(400, bad_every=37)
    ]
    inp = write_csv(tmp_path / "parties.csv", rows)
    local = run_batch(
        inp, tmp_path / "local.csv", MAPPING, screener_factory=factory, workers=2, chunk_size=25
    )
    shipped: list[int] = []
    real_warm = dask_engine.DaskEngine.__init__

    def counting_init(self: dask_engine.DaskEngine, *args: object, **kw: object) -> None:
        real_warm(self, *args, **kw)  # type: ignore[arg-type]
        # Every worker holds the one scattered screener (one key, replicated once per worker).
        who_has = self._client.who_has(self._payload)
        shipped.append(len(next(iter(who_has.values()))))

    monkeypatch.setattr(dask_engine.DaskEngine, "__init__", counting_init)
    summary = run_batch(
        inp,
        tmp_path / "dask.parquet",
        MAPPING,
        screener_factory=factory,
        engine="dask",
        chunk_size=25,  # 16 partitions
    )
    assert summary.engine == "dask" and summary.workers == 2 and shipped == [2]
    assert summary.to_dict() | {"engine": "local", "output": "", "output_format": "", "elapsed_s": 0,
                                "rate_rows_per_s": 0, "screen_s": 0, "screen_rate_rows_per_s": 0} \
        == local.to_dict() | {"output": "", "output_format": "", "elapsed_s": 0,
                              "rate_rows_per_s": 0, "screen_s": 0, "screen_rate_rows_per_s": 0}  # fmt: skip
    assert read_output(tmp_path / "dask.parquet") == read_output(tmp_path / "local.csv")
    assert summary.matched > 0 and summary.errors == 10


def test_without_dask_the_engine_says_what_to_install(
    tmp_path: Path, factory: Callable[[], Screener], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    inp = write_csv(tmp_path / "parties.csv", party_rows(3))
    with pytest.raises(BatchError) as err:
        run_batch(inp, tmp_path / "out.csv", MAPPING, screener_factory=factory, engine="dask")
    assert "pip install 'embargo[dask]'" in str(err.value)
    assert not (tmp_path / "out.csv").exists()
