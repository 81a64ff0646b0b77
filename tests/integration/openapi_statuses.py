#!/usr/bin/python3
"""Whether the admin API's answers are statuses its description gives.

    openapi_statuses.py DESCRIPTION LOG

LOG holds one call a line, "METHOD PATH STATUS" (PATH below /api/v1, query
included), as tests/integration/lib.sh's api() writes them for every suite.
Prints a line for each call whose status the description (docs/openapi.json)
does not give for that path and method, and exits 1 if there is one. A path
the description lacks must have been 404, a method it does not give the path
405. openapi_test.py checks its own calls with the same functions."""

import json
import sys
import urllib.parse

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def template_of(doc, path):
    """The description's path template a concrete path (below /api/v1) falls
    under, fixed segments preferred to parameters as the server does; None
    when there is none."""
    segments = [urllib.parse.unquote(s) for s in path.split("?")[0].strip("/").split("/")]
    best, best_fit = None, None
    for tmpl in doc["paths"]:
        parts = tmpl.strip("/").split("/")
        if len(parts) != len(segments):
            continue
        fit = []
        for p, s in zip(parts, segments):
            fixed = not p.startswith("{")
            if (fixed and p != s) or not s:
                break
            fit.append(fixed)
        else:
            if best_fit is None or fit > best_fit:
                best, best_fit = tmpl, fit
    return best


def described_methods(doc, tmpl):
    return [m.upper() for m in doc["paths"][tmpl] if m in METHODS]


def problem(doc, method, path, status):
    """Why `status` for METHOD PATH is not what the description gives, or None."""
    tmpl = template_of(doc, path)
    if tmpl is None:
        return None if status == 404 else f"{method} {path} -> {status}: the description has no such path (only 404 fits)"
    op = doc["paths"][tmpl].get(method.lower())
    if op is None:
        return None if status == 405 else (f"{method} {path} -> {status}: the description gives {tmpl} no "
                                           f"{method} (only 405 fits)")
    if str(status) not in op["responses"]:
        return f"{method} {path} -> {status}: {status} is not described for {method} {tmpl}"
    return None


def main(description, log):
    doc = json.load(open(description))
    problems = []
    for line in open(log):
        parts = line.split()
        # A call that got no answer (curl's 000) says nothing about the description.
        if len(parts) != 3 or not parts[2].isdigit() or parts[2] == "000":
            continue
        p = problem(doc, parts[0], parts[1], int(parts[2]))
        if p and p not in problems:
            problems.append(p)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
