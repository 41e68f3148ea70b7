#!/usr/bin/env python
"""Build ``src/embargo/match/data/token_stats.json`` from official list files.

The table holds, for each Latin-form name token that appears in at least ``--min-df`` distinct
listed names, the number of names it appears in. It is derived statistics, not list data:
no name can be read back from it. Rerun when the lists change a lot:

    python scripts/build_token_stats.py ../shared/data/official
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from embargo.match.names import analyze
from embargo.match.stats import STATS_FILE, TokenStats
from embargo.settings import Settings
from embargo.update import discover, parse_input


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--min-df", type=int, default=3)
    parser.add_argument("--out", type=Path, default=STATS_FILE)
    args = parser.parse_args()
    settings = Settings.from_env()
    df: Counter[str] = Counter()
    seen: set[str] = set()
    neutral = TokenStats({}, 1)
    for path in args.paths:
        inputs, _ = discover(path)
        for inp in inputs:
            entities, _ = parse_input(inp, settings)
            for entity in entities:
                for name in entity.names:
                    key = name.full.lower()
                    if key in seen:
                        continue
                    seen.add(key)
                    form = analyze(name.full, entity.schema, stats=neutral)
                    if form is None:
                        continue
                    for token in {p.latin for p in form.parts}:
                        df[token] += 1
            print(f"{inp.path}: {len(entities)} entities, {len(seen)} distinct names so far")
    table = {t: n for t, n in sorted(df.items()) if n >= args.min_df}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"total": len(seen), "min_df": args.min_df, "df": table}, ensure_ascii=True)
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(table)} tokens (of {len(df)}) from {len(seen)} names written to {args.out}")


if __name__ == "__main__":
    main()
