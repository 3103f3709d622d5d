#!/usr/bin/env python3
"""Run the public scim2-tester suite (scim2_tester.check_server) against a live SCIM server.

Normally started by `conformance/run-scim2-tester`, which starts the server on a temporary
database, issues a token and sets up the virtualenv. It can also be pointed at any running
server:

    SCIM2_TESTER_TOKEN=<bearer token> conformance/.venv/bin/python \
        conformance/scim2_tester_run.py --base-url http://127.0.0.1:8080/scim/v2

Every result is printed (status, resource type, title, reason); failed checks also print the
data scim2-tester attached and the HTTP exchanges made while the check ran. The last line is

    scim2-tester: N passed, M failed, K skipped

where "failed" counts ERROR and CRITICAL results and "passed" counts SUCCESS, COMPLIANT,
ACCEPTABLE and DEVIATION (a DEVIATION stays inside the RFC; they are listed as warnings).
The exit status is 1 when anything failed, 2 when the suite could not run at all.

One input adjustment, printed when it applies: value hints for the 0-10 range of
maxChats/maxEmails (--no-value-hints), a range the SCIM schema language cannot express.
scim2-tester's own comparisons run unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from importlib.metadata import version
from typing import Any

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Path

from scim2_tester import CheckResult
from scim2_tester import Status
from scim2_tester import check_server

FAILED = {Status.ERROR, Status.CRITICAL}
PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.DEVIATION}

# --- HTTP trace -------------------------------------------------------------------------
# Every exchange is recorded; each CheckResult remembers how many exchanges had happened
# when it was created, so a failed result can show the requests of its own check.

TRACE: list[dict[str, Any]] = []


def _body(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


def _on_response(response: httpx2.Response) -> None:
    response.read()
    request = response.request
    TRACE.append(
        {
            "seq": len(TRACE) + 1,
            "method": request.method,
            "url": str(request.url),
            "request_body": _body(request.content),
            "status": response.status_code,
            "content_type": response.headers.get("content-type"),
            "etag": response.headers.get("etag"),
            "response_body": _body(response.content),
        }
    )


_original_init = CheckResult.__init__


def _init_with_trace_mark(self: CheckResult, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    self._trace_end = len(TRACE)  # type: ignore[attr-defined]


CheckResult.__init__ = _init_with_trace_mark  # type: ignore[method-assign]


# --- value hints ------------------------------------------------------------------------
# Domain rules that the SCIM schema language cannot express (it has types, not ranges). The
# server publishes them in the attribute descriptions and enforces them with 400 invalidValue
# (design.md section 3); scim2-tester would otherwise send random 31-bit integers. The hints
# become the `examples` of the discovered model fields, which scim2-tester draws values from
# (as it does from canonicalValues, e.g. the tenant's skill catalog). No check is disabled:
# the attributes are still added, replaced and removed, with values the product accepts.
# (1..10 and not 0..10: scim2-tester treats a falsy example as "no example".)
OPERATOR = "urn:dialai:params:scim:schemas:extension:operator:2.0:User"
VALUE_HINTS: dict[tuple[str, str], list[Any]] = {
    ("User", f"{OPERATOR}:maxChats"): list(range(1, 11)),
    ("User", f"{OPERATOR}:maxEmails"): list(range(1, 11)),
}


def _apply_value_hints(scim: SyncSCIMClient) -> list[str]:
    """Discover the server and attach VALUE_HINTS to the discovered models."""
    scim.discover()
    applied = []
    for (resource_type, attribute), values in VALUE_HINTS.items():
        model = scim.get_resource_model(resource_type)
        if model is None:
            continue
        binding = Path[model](attribute).resolve()  # type: ignore[valid-type]
        if binding is None or binding.target_model is None:
            continue
        field = binding.target_model.model_fields.get(binding.target_field_name)
        if field is None:
            continue
        field.examples = values
        applied.append(f"{resource_type} {attribute} in {values[0]}..{values[-1]}")
    return applied


# --- rendering ----------------------------------------------------------------------------


def _short(value: Any, limit: int) -> str:
    if isinstance(value, (dict, list)):
        text = json.dumps(value, default=str, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _exchanges_for(results: list[CheckResult], index: int) -> list[dict[str, Any]]:
    end = getattr(results[index], "_trace_end", len(TRACE))
    start = 0
    for previous in reversed(results[:index]):
        mark = getattr(previous, "_trace_end", None)
        if mark is not None and mark <= end:
            start = mark
            break
    return TRACE[start:end]


def _print_exchange(exchange: dict[str, Any], limit: int) -> None:
    print(f"      #{exchange['seq']} {exchange['method']} {exchange['url']}")
    if exchange["request_body"] is not None:
        print(_indent("> " + _short(exchange["request_body"], limit), "        "))
    print(
        f"        < {exchange['status']} {exchange['content_type'] or ''}"
        + (f" ETag: {exchange['etag']}" if exchange["etag"] else "")
    )
    if exchange["response_body"] is not None:
        print(_indent("< " + _short(exchange["response_body"], limit), "        "))


def _result_json(result: CheckResult, exchanges: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "status": result.status.name,
        "resource_type": result.resource_type,
        "title": result.title,
        "reason": result.reason,
        "description": (result.description or "").strip().splitlines()[0:1],
        "tags": sorted(result.tags),
        "data": _short(result.data, 20000) if result.data is not None else None,
        "exchanges": exchanges,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2")
    parser.add_argument(
        "--resource-types",
        default="User,Group",
        help="comma-separated resource type names to exercise (default: User,Group; 'all' for every one)",
    )
    parser.add_argument("--include-tags", default="", help="comma-separated scim2-tester tags to run only")
    parser.add_argument("--exclude-tags", default="", help="comma-separated scim2-tester tags to skip")
    parser.add_argument("--json-out", help="write every result, with its HTTP exchanges, to this file")
    parser.add_argument("--trace-out", help="write the full HTTP trace (JSON lines) to this file")
    parser.add_argument(
        "--no-value-hints",
        action="store_true",
        help="let scim2-tester draw maxChats/maxEmails from all integers, as the schema language allows",
    )
    parser.add_argument("--verbose", action="store_true", help="print data and HTTP exchanges of every result")
    parser.add_argument("--body-limit", type=int, default=1500, help="truncate printed bodies to N characters")
    args = parser.parse_args()

    token = os.environ.get("SCIM2_TESTER_TOKEN")
    if not token:
        print("SCIM2_TESTER_TOKEN is not set", file=sys.stderr)
        return 2

    resource_types = None
    if args.resource_types.strip().lower() != "all":
        resource_types = [name.strip() for name in args.resource_types.split(",") if name.strip()]
    include_tags = {tag.strip() for tag in args.include_tags.split(",") if tag.strip()} or None
    exclude_tags = {tag.strip() for tag in args.exclude_tags.split(",") if tag.strip()} or None

    http = httpx2.Client(
        base_url=args.base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60.0,
        event_hooks={"response": [_on_response]},
    )
    scim = SyncSCIMClient(http)

    print(f"scim2-tester {version('scim2-tester')} (scim2-client {version('scim2-client')}) against {args.base_url}")
    print(f"resource types: {', '.join(resource_types) if resource_types else 'all'}")
    started = time.monotonic()
    # Discover first (the same documents check_server reads) so the value hints can be attached;
    # check_server keeps a description the client already holds. If discovery itself fails,
    # check_server runs on a bare client and reports the discovery failures.
    if not args.no_value_hints:
        try:
            for hint in _apply_value_hints(scim):
                print(f"value hint: {hint}")
        except Exception as exc:
            print(f"discovery failed ({type(exc).__name__}: {exc}); running without value hints")
            scim = SyncSCIMClient(http)
    try:
        results = check_server(
            scim,
            raise_exceptions=False,
            include_tags=include_tags,
            exclude_tags=exclude_tags,
            resource_types=resource_types,
        )
    except Exception as exc:  # the suite itself crashed: report it as a failure of the run
        print(f"scim2-tester crashed: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("scim2-tester: 0 passed, 1 failed, 0 skipped")
        return 2
    finally:
        http.close()
    elapsed = time.monotonic() - started

    counts: Counter[Status] = Counter(result.status for result in results)
    json_results = []
    for index, result in enumerate(results):
        exchanges = _exchanges_for(results, index)
        json_results.append(_result_json(result, exchanges))
        failed = result.status in FAILED
        marker = "FAIL" if failed else ("WARN" if result.status == Status.DEVIATION else "    ")
        rtype = f"[{result.resource_type}] " if result.resource_type else ""
        print(f"{marker} {result.status.name:<10} {rtype}{result.title}")
        if result.reason:
            print(_indent(_short(result.reason, 4000)))
        if failed or args.verbose or result.status == Status.DEVIATION:
            description = (result.description or "").strip().splitlines()
            if description:
                print(_indent("check: " + description[0]))
            if result.data is not None:
                print(_indent("data: " + _short(result.data, args.body_limit)))
            if exchanges:
                print("      HTTP exchanges during this check (last 4):")
                for exchange in exchanges[-4:]:
                    _print_exchange(exchange, args.body_limit)

    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as out:
            json.dump(json_results, out, indent=2, default=str, ensure_ascii=False)
    if args.trace_out:
        with open(args.trace_out, "w", encoding="utf-8") as out:
            for exchange in TRACE:
                out.write(json.dumps(exchange, default=str, ensure_ascii=False) + "\n")

    passed = sum(counts[status] for status in PASSED)
    failed = sum(counts[status] for status in FAILED)
    skipped = counts[Status.SKIPPED]
    breakdown = ", ".join(f"{status.name.lower()} {counts[status]}" for status in Status if counts[status])
    print()
    print(f"{len(results)} results in {elapsed:.1f}s, {len(TRACE)} HTTP requests ({breakdown})")
    if counts[Status.DEVIATION]:
        print(f"{counts[Status.DEVIATION]} deviation(s) from RFC recommendations counted as passed (WARN above)")
    if failed:
        print("failed checks:")
        for result in results:
            if result.status in FAILED:
                rtype = f"[{result.resource_type}] " if result.resource_type else ""
                print(f"  {result.status.name} {rtype}{result.title}: {_short(result.reason or '', 200)}")
    print(f"scim2-tester: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
