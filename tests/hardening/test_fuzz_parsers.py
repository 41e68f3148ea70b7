"""Fuzzing every list parser: hostile input ends in entities or a ParseError, nothing else.

Three layers, over every format ``embargo.sources.registry.formats()`` knows:

- a bulk run of ``EMBARGO_FUZZ_INPUTS`` (default 10,000) mutated inputs per format, on two
  processes, each input with a deadline and the workers under an address-space cap
  (``fuzzkit.run_parallel``); a failing input is saved under ``test-artifacts/fuzz/``;
- hypothesis: structured mutation programs (shrunk to the smallest failing one) and random
  bytes, per format, derandomised;
- hand-made hostile documents for every XML-based format: billion laughs and quadratic
  entity expansion (memory measured in a child process), external entities pointing at a
  watched file, at ``/etc/passwd`` and at a listening socket (the parser must neither open
  nor connect), external DTDs and parameter entities, XInclude, deep nesting, huge
  attribute values, unknown encodings.

``python bench/fuzz.py --examples 200000`` is the long run of the first layer.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import resource
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embargo.errors import EmbargoError
from embargo.model import entity_to_json
from embargo.sources.base import read_head
from embargo.update import ListInput, parse_input
from tests.hardening import fuzzkit
from tests.hardening.fuzzkit import Case, Seed, check_case, formats, seeds

FORMATS = sorted(formats())
BULK_INPUTS = int(os.environ.get("EMBARGO_FUZZ_INPUTS", "10000"))
BASE_SEED = int(os.environ.get("EMBARGO_FUZZ_SEED", "20240601"))
# The slowest input may take this long (the typical one takes about a millisecond; the
# slowest, with a value of a few hundred kilobytes, a fraction of a second on an idle machine
# and a few seconds on a loaded one). An input still running after fuzzkit.HANG_SECONDS is
# stopped and reported as a hang.
INPUT_DEADLINE_S = 15.0
RSS_GROWTH_MB = 400
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz"

FUZZ = settings(
    derandomize=True,
    deadline=2000,  # milliseconds per example
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def test_every_format_has_seeds(scratch: Path) -> None:
    """The seeds are valid inputs: each format has some that parse to entities."""
    for fmt in FORMATS:
        outcomes = [
            check_case(formats()[fmt], Case(s.source, s.files, s.primary, s.label), scratch / fmt)
            for s in seeds()[fmt]
        ]
        assert outcomes.count("ok") >= 1, (fmt, outcomes)


# -- bulk run -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_bulk_mutations(fmt: str, scratch: Path) -> None:
    """At least 10,000 mutated inputs per format: every one parses or raises ParseError."""
    result = fuzzkit.run_parallel(fmt, BASE_SEED, BULK_INPUTS, scratch, jobs=2)
    saved = [f.save(ARTEFACTS) for f in result.failures]
    summary = (
        f"{fmt}: {result.inputs:,} inputs in {result.seconds:.1f} s, outcomes {result.outcomes}, "
        f"slowest {result.slowest:.2f} s ({result.slowest_how}), peak RSS "
        f"{result.max_rss_mb:.0f} MB (+{result.rss_growth_mb:.0f} MB over the run)"
    )
    print(summary)
    details = "\n".join(
        f"  #{f.index} {f.how}: {f.error}\n    saved in {path}\n{f.trace}"
        for f, path in zip(result.failures, saved, strict=True)
    )
    assert not result.failures, f"{summary}\n{details}"
    assert result.inputs == BULK_INPUTS
    # The mutations reach both sides: inputs still read, and inputs refused.
    assert result.outcomes.get("ok", 0) > BULK_INPUTS // 20, summary
    assert result.outcomes.get("ParseError", 0) > BULK_INPUTS // 20, summary
    assert result.slowest < INPUT_DEADLINE_S, summary
    # Memory: the workers run under a 1 GB address-space cap over their size at the start
    # (an unbounded allocation fails there, and is reported as a failure above), and their
    # resident size may not grow by more than this over the whole run.
    assert result.rss_growth_mb < RSS_GROWTH_MB, summary


# -- hypothesis ------------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, fmt: str) -> Case:
    seed: Seed = draw(st.sampled_from(seeds()[fmt]))
    target, kind = draw(st.sampled_from(fuzzkit.targets(seed)))
    ops = draw(
        st.lists(
            st.tuples(st.sampled_from(fuzzkit.mutation_names(kind)), st.integers(0, 2**32 - 1)),
            min_size=1,
            max_size=3,
        )
    )
    return fuzzkit.apply_ops(seed, target, ops)


@pytest.mark.parametrize("fmt", FORMATS)
def test_hypothesis_mutations(fmt: str, scratch: Path) -> None:
    spec = formats()[fmt]
    fuzzkit.warm_up(fmt, scratch)

    @settings(FUZZ, max_examples=60)
    @given(case=mutated(fmt))
    def run(case: Case) -> None:
        with fuzzkit.deadline():
            check_case(spec, case, scratch / f"h-{fmt}")

    run()


@pytest.mark.parametrize("fmt", FORMATS)
def test_hypothesis_random_bytes(fmt: str, scratch: Path) -> None:
    spec = formats()[fmt]
    seed = seeds()[fmt][0]

    @settings(FUZZ, max_examples=40)
    @given(data=st.binary(min_size=1, max_size=2048), keep_start=st.booleans())
    def run(data: bytes, keep_start: bool) -> None:
        if keep_start:  # past the sniffing and the header: what comes next is garbage
            data = seed.data[: len(seed.data) // 3] + data
        files = ((seed.primary, data), *seed.files[1:])
        with fuzzkit.deadline():
            check_case(spec, Case(seed.source, files, seed.primary, "random"), scratch / fmt)

    run()


# -- hostile XML ------------------------------------------------------------------------------

XML_FORMATS = [f for f in FORMATS if seeds()[f][0].kind in ("xml", "zip")]


def _inner_xml(seed: Seed) -> tuple[str, bytes]:
    """The seed's XML document: the file, or the archive member that holds the rows."""
    if seed.kind == "zip":
        name = next(n for n, _ in seed.members if n in ("content.xml", "xl/worksheets/sheet1.xml"))
        return name, dict(seed.members)[name]
    return seed.primary, seed.data


def hostile(seed: Seed, doctype: str, text: str, *, attribute: bool = False) -> Case:
    """The seed with ``doctype`` declared and ``text`` in place of its first few text values
    (and attribute values with ``attribute``), where the parser reads names from."""
    name, xml = _inner_xml(seed)
    body = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", xml).lstrip()
    body = re.sub(rb">([^<>&\s][^<>&]{2,})<", b">" + text.encode() + b"<", body, count=6)
    if attribute:
        body = re.sub(rb'="([A-Z][^"&<]{2,})"', b'="' + text.encode() + b'"', body, count=6)
    doc = b'<?xml version="1.0" encoding="UTF-8"?>\n' + doctype.encode() + b"\n" + body
    return replace_xml(seed, name, doc, doctype[:40])


def replace_xml(seed: Seed, name: str, doc: bytes, how: str) -> Case:
    if seed.kind == "zip":
        members = [(n, doc if n == name else c) for n, c in seed.members]
        return Case(seed.source, ((seed.primary, fuzzkit._zip(members)),), seed.primary, how)
    return Case(seed.source, ((seed.primary, doc), *seed.files[1:]), seed.primary, how)


LAUGHS = "".join(
    [
        '<!ENTITY lol "lollollollollollollollollollol">',
        *(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        ),
    ]
)
QUADRATIC = f'<!ENTITY big "{"B" * 100_000}">'


def _parse_in_child(fmt: str, case: Case, folder: str, cap_mb: int) -> tuple[str, float, float]:
    """Parse under an address-space cap; (outcome, peak RSS growth in MB, seconds)."""
    fuzzkit.limit_address_space(cap_mb)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    try:
        outcome = check_case(formats()[fmt], case, Path(folder))
    except MemoryError:
        outcome = "MemoryError"
    elapsed = time.perf_counter() - t
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return outcome, grown, elapsed


@pytest.mark.parametrize("attack", ["billion-laughs", "quadratic-blowup"])
@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_entity_expansion_is_bounded(fmt: str, attack: str, scratch: Path) -> None:
    """Entity expansion is refused or bounded: the parse stays under 300 MB more memory (in a
    child process capped at 1 GB more address space) and a few seconds."""
    seed = seeds()[fmt][0]
    if attack == "billion-laughs":
        case = hostile(seed, f"<!DOCTYPE r [{LAUGHS}]>", "&lol9;", attribute=True)
    else:
        case = hostile(seed, f"<!DOCTYPE r [{QUADRATIC}]>", "&big;" * 2000, attribute=True)
    fuzzkit.warm_up(fmt, scratch)  # loaded before the fork, so not counted in the child
    with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
        outcome, grown, elapsed = pool.submit(
            _parse_in_child, fmt, case, str(scratch / f"x-{fmt}"), 1024
        ).result(timeout=120)
    assert outcome in ("ok", "ParseError"), outcome
    assert grown < 300, f"{attack} made the parser grow by {grown:.0f} MB"
    assert elapsed < 10, f"{attack} took {elapsed:.1f} s"


class FileWatch:
    """Counts opens and reads of one file with Linux inotify (the parser's C code included,
    which no Python audit hook sees)."""

    IN_ACCESS = 0x001
    IN_OPEN = 0x020

    def __init__(self, path: Path) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK)
        if self.fd < 0:
            pytest.skip("inotify is not available")
        if libc.inotify_add_watch(self.fd, bytes(path), self.IN_OPEN | self.IN_ACCESS) < 0:
            os.close(self.fd)
            pytest.skip("inotify is not available")

    def events(self) -> int:
        count = 0
        with contextlib.suppress(BlockingIOError):
            while True:
                data = os.read(self.fd, 4096)
                if not data:
                    break
                count += len(data) // 16  # struct inotify_event without a name
        return count

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def secret(tmp_path: Path) -> Iterator[tuple[Path, FileWatch]]:
    path = tmp_path / "secret.txt"
    path.write_text("TOPSECRET-MARKER root:x:0:0\n", encoding="utf-8")
    watch = FileWatch(path)
    watch.events()
    yield path, watch
    watch.close()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _connections(sock: socket.socket) -> int:
    count = 0
    with contextlib.suppress(BlockingIOError):
        while True:
            conn, _addr = sock.accept()
            conn.close()
            count += 1
    return count


def _parse_outputs(fmt: str, case: Case, folder: Path) -> bytes:
    """Everything the parse produced that could carry a leaked file: entities, skips and
    warnings, or the error message."""
    path = fuzzkit.write_case(case, folder)
    try:
        entities, report = parse_input(
            ListInput(path, formats()[fmt], case.source), fuzzkit.SETTINGS
        )
    except EmbargoError as exc:
        return str(exc).encode()
    out = b"".join(entity_to_json(e) for e in entities)
    out += repr(report.skipped).encode() + repr(report.warnings).encode()
    return out


@pytest.mark.parametrize(
    "attack",
    ["external-entity", "passwd", "parameter-entity", "external-dtd", "network", "xinclude"],
)
@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_no_external_resources(
    fmt: str,
    attack: str,
    scratch: Path,
    secret: tuple[Path, FileWatch],
    listener: socket.socket,
) -> None:
    """XXE and friends: the parser neither opens the file an entity points at nor connects
    where one points, and nothing of /etc/passwd or the watched file reaches the output."""
    path, watch = secret
    port = listener.getsockname()[1]
    seed = seeds()[fmt][0]
    url = path.as_uri()
    attacks = {
        "external-entity": (f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{url}">]>', "&xxe;"),
        "passwd": ('<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
        "parameter-entity": (f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}"> %p;]>', "Ivan"),
        "external-dtd": (f'<!DOCTYPE r SYSTEM "{url}">', "Ivan"),
        "network": (
            f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "http://127.0.0.1:{port}/x">'
            f'<!ENTITY % n SYSTEM "http://127.0.0.1:{port}/dtd"> %n;]>',
            "&xxe;",
        ),
        "xinclude": (
            "",
            f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{url}" parse="text"/>',
        ),
    }
    doctype, text = attacks[attack]
    case = hostile(seed, doctype, text)
    assert check_case(formats()[fmt], case, scratch / fmt) in ("ok", "ParseError")
    output = _parse_outputs(fmt, case, scratch / fmt)
    assert b"TOPSECRET" not in output
    assert b"root:x:0:0" not in output
    assert b"/bin/" not in output or b"/bin/" in case.files[0][1]
    assert watch.events() == 0, f"the parser opened {path}"
    assert _connections(listener) == 0, "the parser connected to the network"


def _deep(seed: Seed, depth: int) -> Case:
    name, xml = _inner_xml(seed)
    cut = xml.rindex(b"</")
    return replace_xml(seed, name, xml[:cut] + b"<x>" * depth + b"</x>" * depth + xml[cut:], "deep")


def _huge_attribute(seed: Seed, size: int) -> Case:
    name, xml = _inner_xml(seed)
    doc = re.sub(rb'="([^"]*)"', lambda m: b'="' + b"A" * size + b'"', xml, count=1)
    return replace_xml(seed, name, doc, "huge attribute")


def _encoding(seed: Seed, declared: str, actual: str) -> Case:
    name, xml = _inner_xml(seed)
    body = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", xml).lstrip().decode("utf-8")
    doc = f'<?xml version="1.0" encoding="{declared}"?>\n{body}'.encode(actual, "replace")
    return replace_xml(seed, name, doc, f"{declared} as {actual}")


@pytest.mark.parametrize(
    "attack",
    [
        "deep-100000",
        "deep-1500",
        "huge-attribute",
        "unknown-encoding",
        "utf-16",
        "lying-encoding",
        "bom-only",
        "nul-bytes",
    ],
)
@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_odd_documents(fmt: str, attack: str, scratch: Path) -> None:
    seed = seeds()[fmt][0]
    name, xml = _inner_xml(seed)
    cases = {
        "deep-100000": lambda: _deep(seed, 100_000),
        "deep-1500": lambda: _deep(seed, 1500),  # past Python's recursion limit
        "huge-attribute": lambda: _huge_attribute(seed, 2 * 1024 * 1024),
        "unknown-encoding": lambda: _encoding(seed, "WTF-8", "utf-8"),
        "utf-16": lambda: _encoding(seed, "UTF-16", "utf-16"),
        "lying-encoding": lambda: _encoding(seed, "UTF-16", "utf-8"),
        "bom-only": lambda: replace_xml(seed, name, b"\xef\xbb\xbf", "bom"),
        "nul-bytes": lambda: replace_xml(seed, name, xml.replace(b"><", b">\x00<", 3), "nul"),
    }
    case = cases[attack]()
    t = time.perf_counter()
    with fuzzkit.deadline():
        outcome = check_case(formats()[fmt], case, scratch / fmt)
    assert outcome in ("ok", "ParseError")
    assert time.perf_counter() - t < 10


# -- findings ---------------------------------------------------------------------------------

# Inputs the fuzzing found crashing a parser (or its sniffer) before the fixes, kept as
# regression tests: (format, file name, content, outcome now). A spreadsheet's content is
# made from its seed in ``_found_case``. Most are refused; the US CSL JSON reader now takes a
# single value where a list belongs, and an ODS space count of ten billion (which used to
# allocate as many bytes) is capped.
FOUND = {
    "ftm-json/invalid-utf8-in-first-line": (
        "ftm-json",
        "entities.ftm.json",
        b'{"id": "x\xed\xa0\x80", "schema": "Person", "properties": {}}\n',
        "ParseError",
    ),
    "ftm-json/deep-nesting": (
        "ftm-json",
        "entities.ftm.json",
        b'{"id": "a", "schema": "Person", "properties": {"name": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}}\n",
        "ParseError",
    ),
    "ftm-json/sanction-datasets-not-a-list": (
        "ftm-json",
        "entities.ftm.json",
        b'{"id": "p", "schema": "Person", "properties": {"name": ["Ivan Petrov"], '
        b'"topics": ["sanction"]}, "datasets": ["x"]}\n'
        b'{"id": "s", "schema": "Sanction", "properties": {"entity": ["p"]}, "datasets": 5}\n',
        "ParseError",
    ),
    "senzing-json/deep-nesting": (
        "senzing-json",
        "senzing.json",
        b'{"DATA_SOURCE": "X", "RECORD_ID": "1", "NAMES": ' + b"[" * 5000 + b"]" * 5000 + b"}\n",
        "ParseError",
    ),
    "us-csl-json/ids-not-a-list": (
        "us-csl-json",
        "consolidated.json",
        b'{"results": [{"id": "1", "source": "Entity List (EL) - Bureau of Industry and '
        b'Security", "name": "ACME", "entity_number": "1", "ids": 1.5, "addresses": 7}], '
        b'"sources_used": 2.0, "total": 1, "source_list_url": "x"}',
        "ok",
    ),
    "uk-fcdo-ods/repeat-not-a-number": ("uk-fcdo-ods", "UK-Sanctions-List.ods", b"", "ParseError"),
    "uk-fcdo-ods/huge-space-count": ("uk-fcdo-ods", "UK-Sanctions-List.ods", b"", "ok"),
    "uk-fcdo-ods/damaged-mimetype": ("uk-fcdo-ods", "UK-Sanctions-List.ods", b"", "ParseError"),
    "uk-ofsi-xlsx/no-worksheet": ("uk-ofsi-xlsx", "ConList.xlsx", b"", "ParseError"),
    "uk-ofsi-xlsx/unknown-encoding": ("uk-ofsi-xlsx", "ConList.xlsx", b"", "ParseError"),
}


def _found_case(key: str) -> Case:
    fmt, name, content, _outcome = FOUND[key]
    seed = seeds()[fmt][0]
    if content:
        return Case(seed.source, ((name, content),), name, key)
    members = dict(seed.members)
    if key.endswith("repeat-not-a-number"):
        members["content.xml"] = members["content.xml"].replace(
            b'number-columns-repeated="1000"', b'number-columns-repeated="circa 1970"', 1
        )
    elif key.endswith("huge-space-count"):
        members["content.xml"] = members["content.xml"].replace(
            b"</text:p>", b'<text:s text:c="9999999999"/></text:p>', 1
        )
    elif key.endswith("damaged-mimetype"):
        archive = fuzzkit._zip(list(members.items()))
        # The mimetype member's local header magic, damaged; the central directory intact.
        return Case(seed.source, ((name, b"PK\x03\x05" + archive[4:]),), name, key)
    elif key.endswith("no-worksheet"):
        members["xl/workbook.xml"] = re.sub(
            rb"<sheets>.*</sheets>", b"<sheets/>", members["xl/workbook.xml"]
        )
    elif key.endswith("unknown-encoding"):
        members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(
            b'encoding="UTF-8"', b'encoding="WTF-8"', 1
        )
    return Case(seed.source, ((name, fuzzkit._zip(list(members.items()))),), name, key)


@pytest.mark.parametrize("key", sorted(FOUND))
def test_found_inputs(key: str, scratch: Path) -> None:
    case = _found_case(key)
    fmt = FOUND[key][0]
    path = fuzzkit.write_case(case, scratch / "found")
    for spec in formats().values():  # no sniffer raises
        spec.sniff(path, read_head(path))
    fuzzkit.warm_up(fmt, scratch)
    with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
        outcome, grown, _elapsed = pool.submit(
            _parse_in_child, fmt, case, str(scratch / "found"), 1024
        ).result(timeout=120)
    assert outcome == FOUND[key][3], outcome
    assert grown < 300, f"the parse grew by {grown:.0f} MB"


def test_identifier_label_is_linear() -> None:
    """An identifier label of many separators before a letter ("- - - ... x") took
    quadratic time in ``id_type`` (40,000 characters seconds, a megabyte hours); it is
    linear now, and still strips the separators a label ends with."""
    from embargo.model.values import id_type

    id_type.cache_clear()
    t = time.perf_counter()
    id_type(":" * 20_000 + "x")
    id_type("- " * 50_000 + "x")  # quadratic: minutes; linear: well under a second
    assert time.perf_counter() - t < 5.0
    assert id_type("Passport No.: -- ") == id_type("Passport No.")
    assert id_type("Passport No.: -- ").value != "other"
