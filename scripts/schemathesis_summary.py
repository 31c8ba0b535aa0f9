"""Summarise a schemathesis NDJSON report: the counts `make test` prints, and its verdict.

    python scripts/schemathesis_summary.py REPORT_DIR SECONDS ST_EXIT_CODE

Fails (exit 1) on any server error, response-schema violation, undocumented status code,
schema-violating request accepted, or other failed check. "Schema-valid request rejected"
(ST202) passes only when the refusal is a business rule the operations' descriptions name
(``cxoffice.api.schema.RULES``): a 400/409 whose error ``code`` is one of BUSINESS_CODES (or an
operation's own rule in BUSINESS_RULES). Any other refusal of a valid request means the schema
says less than the server checks, and fails.
"""

from __future__ import annotations

import base64
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ALLOWED = {"positive_data_acceptance"}
BUSINESS_CODES = {
    "does_not_exist", "invalid_choice", "unique", "duplicate", "reversed_dates",
    "unordered_levels", "out_of_range", "outside_employment", "before_week", "immutable",
    "read_only", "invalid_period", "null_characters_not_allowed", "invalid_rows",
    "authorization", "locked_out", "not_simulation", "plan_retired", "has_next_version",
    "due_before_start", "scope_holder", "max_digits", "max_decimal_places", "max_whole_digits",
    "min_value", "max_value", "required",
}  # fmt: skip
# (operation, code) pairs for a rule only some operations have, each named in the operation's
# own description. "required" is a business code: drf-spectacular marks every field a
# serializer requires as required, so a schema-valid request refused as "required" misses a
# field that another one makes necessary.
ENROLLMENT = "/api/v1/bonus-enrollments/"
PLAN = "/api/v1/bonus-plans/"
BUSINESS_RULES: set[tuple[str, str]] = {
    *{(f"{method} {path}", "overlap") for method, path in (
        ("POST", ENROLLMENT), ("PUT", ENROLLMENT + "{id}/"), ("PATCH", ENROLLMENT + "{id}/"))},
    *{(f"{method} {path}", "employee_scope_only") for method, path in (
        ("POST", PLAN), ("PUT", PLAN + "{id}/"), ("PATCH", PLAN + "{id}/"))},
    *{(f"GET {path}", code)
      for path in ("/api/v1/bonus-runs/{id}/lines/{line_id}/evidence/",
                   "/api/v1/me/bonus-statements/{id}/evidence/")
      for code in ("not_on_line", "no_records")},
}  # fmt: skip


def _business_rule(label: str, interaction: dict) -> bool:
    status = (interaction.get("response") or {}).get("status_code")
    try:
        code = json.loads(_body(interaction, limit=None)).get("code")
    except (ValueError, AttributeError):
        return False
    return status in {400, 409} and (code in BUSINESS_CODES or (label, code) in BUSINESS_RULES)


def _body(interaction: dict, limit: int | None = 200) -> str:
    content = (interaction.get("response") or {}).get("content") or {}
    raw = content.get("$base64")
    text = base64.b64decode(raw).decode("utf-8", "replace") if raw else content.get("string", "")
    return text[:limit] if limit else text


def main(report_dir: str, seconds: str, st_exit: str) -> int:
    files = sorted(Path(report_dir).glob("*.ndjson"))
    if not files:
        print("schemathesis: no report was written (did it start?)")
        return 1
    operations = 0
    cases: set[str] = set()
    failures: Counter[str] = Counter()
    failing_operations: dict[str, set[str]] = defaultdict(set)
    examples: dict[str, list[str]] = defaultdict(list)
    for line in files[-1].read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if "LoadingFinished" in event:
            operations = event["LoadingFinished"]["statistic"]["operations"]["selected"]
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        cases.update(recorder.get("cases", {}))
        seen: set[tuple[str, str]] = set()
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                if check["status"] != "failure":
                    continue
                info = check["failure_info"]["failure"]
                kind = f"{info.get('code', '?')} {info['title']}"
                interaction = recorder.get("interactions", {}).get(case_id, {})
                if check["name"] in ALLOWED:
                    rule = _business_rule(recorder["label"], interaction)
                    kind += " (business rule)" if rule else " (not a documented rule)"
                key = (kind, recorder["label"])
                if key in seen:
                    continue
                seen.add(key)
                failures[kind] += 1
                failing_operations[kind].add(recorder["label"])
                if len(examples[kind]) < 40:
                    status = (interaction.get("response") or {}).get("status_code")
                    examples[kind].append(
                        f"{recorder['label']} → {status} {_body(interaction)}"
                        if check["name"] in ALLOWED
                        else f"{recorder['label']}: {info.get('message', '')[:300]}"
                    )
    blocking = {kind for kind in failures if not kind.endswith("(business rule)")}
    print(f"\nschemathesis figures: {operations} operations, {len(cases)} test cases, {seconds} s")
    for kind in sorted(failures):
        verdict = "allowed: named in the operations' descriptions"
        if kind in blocking:
            verdict = "FAIL"
        count = f"{len(failing_operations[kind])} operations, {failures[kind]} scenarios"
        print(f"  {kind}: {count} — {verdict}")
        for example in examples[kind]:
            print(f"      {example}")
    if not failures:
        print("  no failure of any kind")
    if blocking:
        print(
            "schemathesis: FAILED (server errors, schema violations and undocumented statuses "
            "must all be 0)"
        )
        return 1
    if st_exit not in {"0", "1"}:
        print(f"schemathesis: exited {st_exit} (an error, not a finding)")
        return 1
    print(
        "schemathesis: 0 server errors, 0 response-schema violations, 0 undocumented status "
        "codes, 0 schema-violating requests accepted"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
