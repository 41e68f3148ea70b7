"""The evidence report: what was checked for one customer, when, against which list versions,
with what result and decision — in a form a regulator can read (HTML or PDF) or a program
can (the same data as JSON: ``build_evidence``, ``Workflow.evidence``).

It holds: the customer's data and every version of it; every screening (when, by whom, why,
against which list versions with their publisher dates and content hashes, algorithm,
threshold, result per match); the monitoring runs that compared list changes with the book
since the customer was added; every alert with its evidence snapshot (the customer and the
listed entity exactly as screened, score and explanation) and every decision on it (who,
when, why; four-eyes confirmations); whitelist entries; monitoring notices; the audit records
about the customer, with the verification of the whole audit chain; and the review settings'
history. ``digest`` is the SHA-256 of the data (canonical JSON, without the digest), and the
HTML report carries that JSON too, so a copy of the report can be checked against the
``evidence.export`` audit record written when it was made.

    data = build_evidence(wf, "C-1042")
    write_report(data, Path("C-1042.pdf"))   # or .html, .json
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select

from embargo.errors import ConfigError, EmbargoError, NotFoundError
from embargo.store import ListVersion
from embargo.store import audit as auditlog
from embargo.workflow.monitor import load_notices, monitor_runs_since

if TYPE_CHECKING:
    from embargo.workflow.service import Workflow

FORMAT_VERSION = 1
FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".json": "json"}
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def digest_of(data: Mapping[str, Any]) -> str:
    """SHA-256 of the report data without its own ``digest`` field."""
    body = {k: v for k, v in data.items() if k != "digest"}
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


def _version_dict(v: ListVersion) -> dict[str, Any]:
    return {
        "id": v.id,
        "source": v.source,
        "format": v.format,
        "publisher_date": v.publisher_date,
        "content_hash": v.content_hash,
        "loaded_at": v.fetched_at.isoformat(),
        "origin": v.origin,
        "status": v.status,
        "entity_count": v.entity_count,
    }


def _record(row: Any) -> auditlog.AuditRecord:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
    return auditlog.AuditRecord(
        row.id,
        at,
        row.actor,
        row.action,
        row.subject_type,
        row.subject_id,
        dict(row.details or {}),
        row.prev_hash,
        row.hash,
    )


def _customer_audit(wf: Workflow, ref: str) -> list[auditlog.AuditRecord]:
    log = auditlog.audit_log
    query = (
        select(log)
        .where(
            or_(
                and_(log.c.subject_type == "customer", log.c.subject_id == ref),
                log.c.details["customer"].as_string() == ref,
            )
        )
        .order_by(log.c.id)
    )
    with wf.store.engine.connect() as conn:
        return [_record(r) for r in conn.execute(query)]


def _audit_by_action(
    wf: Workflow, action: str, subject_ids: Iterable[str] | None = None
) -> list[auditlog.AuditRecord]:
    log = auditlog.audit_log
    query = select(log).where(log.c.action == action).order_by(log.c.id)
    wanted = sorted(set(subject_ids)) if subject_ids is not None else None
    out: list[auditlog.AuditRecord] = []
    with wf.store.engine.connect() as conn:
        if wanted is None:
            return [_record(r) for r in conn.execute(query)]
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            out += [_record(r) for r in conn.execute(query.where(log.c.subject_id.in_(chunk)))]
    out.sort(key=lambda r: r.id)
    return out


def build_evidence(
    wf: Workflow, ref: str, *, verify_chain: bool = True, actor: str | None = None
) -> dict[str, Any]:
    """Everything about one customer's screening and review, JSON-ready (see the module doc).
    Raises ``NotFoundError`` for an unknown reference."""
    from embargo import __version__

    customer = wf.get_customer(ref)
    screened = sorted(wf.screenings(ref), key=lambda s: s.id)
    alert_list = [wf.get_alert(a.id) for a in wf.list_alerts(ref=ref, limit=None)]
    entries = wf.whitelist(ref, active=None)
    notices = load_notices(wf.store, ref=ref)
    records = _customer_audit(wf, ref)

    # Every list version a screening or alert refers to, described from the store.
    version_ids: set[int] = set()
    for s in screened:
        version_ids.update(int(v["version_id"]) for v in s.list_versions)
    version_ids.update(a.list_version_id for a in alert_list if a.list_version_id is not None)
    versions: list[dict[str, Any]] = []
    for vid in sorted(version_ids):
        try:
            versions.append(_version_dict(wf.store.get_version(vid)))
        except NotFoundError:
            versions.append({"id": vid, "missing": True})
    loads = {r.subject_id: r for r in _audit_by_action(wf, "list.load", map(str, version_ids))}
    for v in versions:
        rec = loads.get(str(v["id"]))
        v["audit_record"] = rec.id if rec is not None else None

    # Monitoring runs since the customer was added: each compared the list changes with the
    # whole book; a screening is recorded for the customer only when a change matched it.
    by_run: dict[int, list[int]] = {}
    for s in screened:
        run_id = s.scope.get("monitor_run")
        if s.trigger == "monitor" and run_id is not None:
            by_run.setdefault(int(run_id), []).append(s.id)
    monitoring = []
    for run in monitor_runs_since(wf.store, customer.created_at):
        lists = [
            c
            for c in run["summary"].get("lists", [])
            if c.get("added") or c.get("changed") or c.get("removed")
        ]
        if not lists and run["id"] not in by_run:
            continue
        monitoring.append(
            {
                "id": run["id"],
                "started_at": run["started_at"],
                "finished_at": run["finished_at"],
                "actor": run["actor"],
                "lists": lists,
                "screenings": by_run.get(run["id"], []),
            }
        )

    alerts_out = []
    for a in alert_list:
        d = a.to_dict(evidence=True)
        d["four_eyes"] = any(dec.stage in ("first", "confirm", "reject") for dec in a.decisions)
        alerts_out.append(d)

    chain: dict[str, Any] = {"verified": False}
    if verify_chain:
        result = wf.store.verify_audit()
        chain = {"verified": True, **result.to_dict()}

    data: dict[str, Any] = {
        "report": {
            "format": FORMAT_VERSION,
            "title": f"Screening evidence for customer {customer.ref}",
            "generated_at": datetime.now(UTC).isoformat(),
            "generated_by": actor,
            "software_version": __version__,
            "database": wf.store.url,
        },
        "customer": customer.to_dict(),
        "list_versions": versions,
        "screenings": [s.to_dict() for s in screened],
        "monitoring": monitoring,
        "alerts": alerts_out,
        "whitelist": [e.to_dict() for e in entries],
        "notices": [n.to_dict() for n in notices],
        "review_settings": {
            "current": wf.review_settings(),
            "changes": [r.to_dict() for r in _audit_by_action(wf, "config.change")],
        },
        "audit": {"records": [r.to_dict() for r in records], "chain": chain},
        "summary": {
            "screenings": len(screened),
            "alerts": len(alert_list),
            "open_alerts": sum(1 for a in alert_list if a.active),
            "true_matches": sum(1 for a in alert_list if a.decision == "true_match"),
            "false_positives": sum(1 for a in alert_list if a.decision == "false_positive"),
            "whitelist_active": sum(1 for e in entries if e.active),
            "notices": len(notices),
            "audit_records": len(records),
            "last_screened_at": screened[-1].at.isoformat() if screened else None,
        },
    }
    data["digest"] = digest_of(data)
    return data


# -- output -----------------------------------------------------------------------------------


def output_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in ("html", "pdf", "json"):
            raise ConfigError(f"--format: {explicit!r} is not one of html, pdf, json")
        return explicit
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"{path}: say the report format with the file's extension (.html, .pdf or .json)"
        )
    return fmt


def write_report(data: Mapping[str, Any], path: Path, *, format: str | None = None) -> str:
    """Write the report to ``path`` (HTML, PDF or JSON by extension); the format written."""
    fmt = output_format(path, format)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        if fmt == "html":
            tmp.write_text(render_html(data), encoding="utf-8")
        elif fmt == "json":
            tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            tmp.write_bytes(render_pdf(data))
        tmp.replace(path)
    except OSError as exc:
        raise EmbargoError(f"{path}: cannot write the report: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return fmt


def _when(value: object) -> str:
    """An ISO timestamp as "2024-05-07 12:00:01 UTC"."""
    if not value:
        return "–"
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def _short(value: object, n: int = 12) -> str:
    text = str(value or "")
    return text if len(text) <= n else text[:n] + "…"


def _entity_rows(snapshot: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The parts of a listed entity's snapshot a reviewer reads, as (label, text)."""
    rows: list[tuple[str, str]] = []
    names = snapshot.get("names") or []
    if names:
        rows.append(
            ("names", "; ".join(f"{n.get('full')} ({n.get('kind', 'primary')})" for n in names))
        )
    for key, label in (
        ("birth_dates", "birth dates"),
        ("birth_places", "birth places"),
    ):
        values = snapshot.get(key) or []
        if values:
            rows.append(
                (label, "; ".join(str(v.get("text") if isinstance(v, dict) else v) for v in values))
            )
    for key in ("nationalities", "citizenships", "countries"):
        if snapshot.get(key):
            rows.append((key, ", ".join(snapshot[key])))
    ids = snapshot.get("identifiers") or []
    if ids:
        rows.append(("identifiers", "; ".join(f"{i.get('type')}: {i.get('value')}" for i in ids)))
    for lst in snapshot.get("listings") or []:
        programs = ", ".join(lst.get("programs") or [])
        text = f"{lst.get('authority')} {lst.get('list')} — {lst.get('measure')}"
        if programs:
            text += f" ({programs})"
        if lst.get("listed_on"):
            text += f", listed {lst['listed_on']}"
        rows.append(("listing", text))
    if snapshot.get("source_url"):
        rows.append(("publisher record", str(snapshot["source_url"])))
    return rows


def _props(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    props = data.get("properties") or {}
    return [(k, "; ".join(map(str, v))) for k, v in props.items()]


def render_html(data: Mapping[str, Any]) -> str:
    """The self-contained, printable HTML report (no external assets)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["short"] = _short
    env.globals["entity_rows"] = _entity_rows
    env.globals["props"] = _props
    env.globals["scope_text"] = _scope_text
    env.globals["change_text"] = _change_text
    # The data itself, for programs and for checking the digest: "</" cannot close the block.
    embedded = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return env.get_template("evidence.html.j2").render(d=data, embedded=embedded)


# -- PDF --------------------------------------------------------------------------------------

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arialuni.ttf",
)


def _pdf_font() -> tuple[str, str, bool]:
    """(regular font, bold font, unicode?) — a TrueType font with wide script coverage when
    one is found (``EMBARGO_PDF_FONT`` names one), else the PDF base font (Latin-1 only)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    wanted = os.environ.get("EMBARGO_PDF_FONT")
    for path in ([wanted] if wanted else []) + list(_FONT_CANDIDATES):
        if not path or not Path(path).is_file():
            continue
        bold = Path(path).with_name(Path(path).stem + "-Bold" + Path(path).suffix)
        try:
            if "EmbargoSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("EmbargoSans", path))
                pdfmetrics.registerFont(
                    TTFont("EmbargoSans-Bold", str(bold) if bold.is_file() else path)
                )
            return "EmbargoSans", "EmbargoSans-Bold", True
        except Exception:  # a broken font file: try the next one
            continue
    return "Helvetica", "Helvetica-Bold", False


def render_pdf(data: Mapping[str, Any]) -> bytes:
    """The report as PDF (reportlab), with the same sections as the HTML."""
    import io
    from xml.sax.saxutils import escape

    try:
        import reportlab  # noqa: F401
    except ImportError:
        raise ConfigError(
            "PDF reports need the reportlab package (pip install reportlab); "
            "or write HTML (--out FILE.html)"
        ) from None
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    regular, bold, unicode_font = _pdf_font()
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName=regular, fontSize=8.5, leading=11
    )
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, alignment=TA_LEFT)
    h1 = ParagraphStyle("h1", parent=base["Heading1"], fontName=bold, fontSize=15, leading=19)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=12, leading=15)
    h3 = ParagraphStyle("h3", parent=base["Heading3"], fontName=bold, fontSize=10, leading=13)

    def text(value: object) -> str:
        s = "" if value is None else str(value)
        if not unicode_font:  # the base fonts cover Latin-1 only
            s = s.encode("latin-1", "replace").decode("latin-1")
        return escape(s)

    def p(value: object, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(text(value), style)

    grey = colors.HexColor("#e8e8e8")

    def table(
        headers: Sequence[str] | None,
        rows: Sequence[Sequence[object]],
        widths: Sequence[float],
    ) -> Table:
        cells = [[Paragraph(f"<b>{text(h)}</b>", small) for h in headers]] if headers else []
        cells += [[p(c, small) for c in row] for row in rows]
        style = [
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        if headers:
            style.append(("BACKGROUND", (0, 0), (-1, 0), grey))
        else:  # a key/value table: the keys are the header column
            style.append(("BACKGROUND", (0, 0), (0, -1), grey))
        t = Table(
            cells or [[""]], colWidths=[w * mm for w in widths], repeatRows=1 if headers else 0
        )
        t.setStyle(TableStyle(style))
        return t

    def pairs(rows: Sequence[tuple[str, object]]) -> Table:
        return table(None, [(k, v) for k, v in rows], (40, 140))

    d = data
    rep, cust, summ = d["report"], d["customer"], d["summary"]
    story: list[Any] = [
        p(rep["title"], h1),
        p(
            f"Generated {_when(rep['generated_at'])}"
            + (f" by {rep['generated_by']}" if rep.get("generated_by") else "")
            + f" with Embargo {rep['software_version']} from {rep['database']}.",
            small,
        ),
        p(f"Report digest (SHA-256 of the report data): {d['digest']}", small),
        Spacer(1, 4 * mm),
        p("Summary", h2),
        pairs(
            [
                ("customer", f"{cust['caption']} ({cust['schema']}, ref {cust['ref']})"),
                ("screenings", summ["screenings"]),
                ("last screened", _when(summ["last_screened_at"])),
                (
                    "alerts",
                    f"{summ['alerts']} ({summ['open_alerts']} open, {summ['true_matches']} "
                    f"true match, {summ['false_positives']} false positive)",
                ),
                ("active whitelist entries", summ["whitelist_active"]),
                ("monitoring notices", summ["notices"]),
                ("audit records", summ["audit_records"]),
                ("audit chain", _chain_text(d["audit"]["chain"])),
            ]
        ),
        p("1. Customer", h2),
        pairs(
            [
                ("reference", cust["ref"]),
                ("Embargo id", cust["id"]),
                ("schema", cust["schema"]),
                ("current version", cust["version"]),
                ("created", _when(cust["created_at"])),
                ("updated", _when(cust["updated_at"])),
                ("content hash", cust["content_hash"]),
                *_props(cust["data"]),
            ]
        ),
        p("History", h3),
        table(
            ["version", "when", "who", "origin", "data", "changes"],
            [
                (
                    v["version"],
                    _when(v["at"]),
                    v["actor"],
                    v["origin"],
                    "; ".join(f"{k}: {val}" for k, val in _props(v["data"])),
                    "; ".join(
                        f"{k}: -{', '.join(c['removed'])} +{', '.join(c['added'])}"
                        for k, c in v["changes"].items()
                    ),
                )
                for v in cust.get("history", [])
            ],
            (12, 27, 22, 30, 50, 39),
        ),
        p("2. List versions screened against", h2),
        table(
            ["id", "source", "published", "loaded", "entities", "content hash", "audit"],
            [
                (
                    v["id"],
                    v.get("source"),
                    v.get("publisher_date"),
                    _when(v.get("loaded_at")),
                    v.get("entity_count"),
                    v.get("content_hash"),
                    v.get("audit_record"),
                )
                for v in d["list_versions"]
            ],
            (10, 28, 20, 28, 15, 67, 12),
        ),
        p("3. Screenings", h2),
    ]
    for s in d["screenings"]:
        lists = ", ".join(
            f"{v['source']} v{v['version_id']} ({v.get('publisher_date') or 'no date'})"
            for v in s["list_versions"]
        )
        results = (
            "; ".join(
                f"{r['caption']} ({r['entity_id']}) {r['score']:.2f}: {r['outcome']}"
                + (f" (alert {r['alert_id']})" if r.get("alert_id") else "")
                for r in s["results"]
            )
            or "no match at or above the threshold"
        )
        story.append(
            KeepTogether(
                [
                    p(f"Screening {s['id']} — {_when(s['at'])}", h3),
                    pairs(
                        [
                            ("by", f"{s['actor']} ({s['trigger']})"),
                            ("scope", _scope_text(s["scope"])),
                            ("customer version", s["customer_version"]),
                            ("list versions", lists),
                            (
                                "algorithm",
                                f"{s['algorithm']}, threshold {s['threshold']}, "
                                f"Embargo {s['software_version']}",
                            ),
                            ("result", results),
                        ]
                    ),
                ]
            )
        )
    story.append(p("4. Monitoring", h2))
    if d["monitoring"]:
        story.append(
            table(
                ["run", "when", "list changes", "screenings of this customer"],
                [
                    (
                        m["id"],
                        _when(m["started_at"]),
                        "; ".join(_change_text(c) for c in m["lists"]),
                        ", ".join(map(str, m["screenings"]))
                        or "none: no change came near this customer",
                    )
                    for m in d["monitoring"]
                ],
                (12, 30, 100, 38),
            )
        )
    else:
        story.append(p("No monitoring run since the customer was added.", small))
    story.append(p("5. Alerts and decisions", h2))
    if not d["alerts"]:
        story.append(p("No alert was raised for this customer.", small))
    for a in d["alerts"]:
        expl = a.get("explanation") or {}
        block: list[Any] = [
            p(f"Alert {a['id']}: {a['entity_caption']} ({a['entity_id']})", h3),
            pairs(
                [
                    ("status", a["status"] + (f" — {a['decision']}" if a.get("decision") else "")),
                    *(
                        [
                            (
                                "decided",
                                f"{a['decided_by']}"
                                + (
                                    f", confirmed by {a['confirmed_by']} (four-eyes)"
                                    if a.get("confirmed_by")
                                    else ""
                                )
                                + f", {_when(a.get('decided_at'))}",
                            )
                        ]
                        if a.get("decided_by")
                        else []
                    ),
                    ("raised", f"{_when(a['created_at'])} by screening {a['screening_id']}"),
                    ("why", a["reason"]),
                    (
                        "score",
                        f"{a['score']:.2f} (threshold {a['threshold']}, {a['algorithm']}, "
                        f"Embargo {a['software_version']})",
                    ),
                    ("explanation", expl.get("summary", "")),
                    (
                        "listed entity",
                        f"{a['source']} list version {a['list_version_id']}, "
                        f"content hash {a['entity_hash']}",
                    ),
                    *((f"entity {k}", v) for k, v in _entity_rows(a.get("entity_snapshot") or {})),
                    (
                        "customer as screened",
                        f"version {a['customer_version']}: "
                        + "; ".join(
                            f"{k}: {v}" for k, v in _props(a.get("customer_snapshot") or {})
                        ),
                    ),
                    *(
                        (
                            f"changed ({c.get('side')})",
                            f"{c.get('field')}: "
                            + "; ".join(
                                [f"−{x}" for x in c.get("removed") or []]
                                + [f"+{x}" for x in c.get("added") or []]
                            ),
                        )
                        for c in a.get("changes") or []
                    ),
                ]
            ),
        ]
        if a.get("decisions"):
            block.append(
                table(
                    ["decision", "stage", "who", "when", "reason"],
                    [
                        (x["decision"], x["stage"], x["actor"], _when(x["at"]), x["reason"])
                        for x in a["decisions"]
                    ],
                    (25, 17, 25, 30, 83),
                )
            )
        story.append(KeepTogether(block))
    story.append(p("6. Whitelist", h2))
    if d["whitelist"]:
        story.append(
            table(
                ["entry", "listed entity", "from alert", "by", "since", "state"],
                [
                    (
                        e["id"],
                        e["entity_id"],
                        e["alert_id"],
                        e["created_by"],
                        _when(e["created_at"]),
                        "active"
                        if e["active"]
                        else f"ended {_when(e['ended_at'])}: {e['ended_reason']}",
                    )
                    for e in d["whitelist"]
                ],
                (12, 35, 15, 22, 28, 68),
            )
        )
    else:
        story.append(p("No whitelist entry.", small))
    story.append(p("7. Monitoring notices", h2))
    if d["notices"]:
        story.append(
            table(
                ["notice", "when", "kind", "message"],
                [(n["id"], _when(n["created_at"]), n["kind"], n["message"]) for n in d["notices"]],
                (12, 28, 44, 96),
            )
        )
    else:
        story.append(p("No notice.", small))
    story.append(p("8. Review settings", h2))
    cur = d["review_settings"]["current"]
    story.append(
        pairs(
            [
                ("four-eyes", "on" if cur.get("four_eyes") else "off"),
                ("high-risk sources", ", ".join(cur.get("four_eyes_sources") or []) or "none"),
                ("high-risk measures", ", ".join(cur.get("four_eyes_measures") or []) or "none"),
                ("threshold", cur.get("threshold")),
                ("algorithm", cur.get("algorithm")),
                *(
                    (
                        f"changed {_when(r['at'])}",
                        f"by {r['actor']}: {_canonical(r['details'].get('after'))}",
                    )
                    for r in d["review_settings"]["changes"]
                ),
            ]
        )
    )
    story.append(p("9. Audit records", h2))
    story.append(p(_chain_text(d["audit"]["chain"]), body))
    story.append(
        table(
            ["#", "when", "who", "action", "subject", "hash"],
            [
                (
                    r["id"],
                    _when(r["at"]),
                    r["actor"],
                    r["action"],
                    f"{r['subject_type']} {r['subject_id']}",
                    _short(r["hash"], 16),
                )
                for r in d["audit"]["records"]
            ],
            (12, 30, 28, 35, 40, 35),
        )
    )

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=rep["title"],
        author="Embargo",
        subject=f"digest {d['digest']}",
    )

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.drawString(
            14 * mm,
            8 * mm,
            text(f"{rep['title']} — generated {_when(rep['generated_at'])} — page {document.page}"),
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _chain_text(chain: Mapping[str, Any]) -> str:
    if not chain.get("verified"):
        return "not verified for this report"
    if chain.get("ok"):
        return f"verified: all {chain['records']:,} audit records are intact and in order"
    problems = "; ".join(chain.get("problems") or [])
    return f"VERIFICATION FAILED over {chain['records']:,} records: {problems}"


def _change_text(c: Mapping[str, Any]) -> str:
    frm = c.get("from") or {}
    to = c.get("to") or {}
    return (
        f"{c['source']} version {frm.get('version_id', '–')} → {to.get('version_id')} "
        f"(published {to.get('publisher_date') or '–'}): {c['added']} added, "
        f"{c['changed']} changed, {c['removed']} removed"
    )


def _scope_text(scope: Mapping[str, Any]) -> str:
    if scope.get("kind") == "full":
        return "the whole of the active lists"
    if scope.get("kind") == "list_changes":
        lists = "; ".join(_change_text(c) for c in scope.get("lists") or [])
        return (
            f"the entities added or changed in monitoring run {scope.get('monitor_run')}: {lists}"
        )
    return _canonical(scope)


__all__ = [
    "FORMATS",
    "build_evidence",
    "digest_of",
    "output_format",
    "render_html",
    "render_pdf",
    "write_report",
]
