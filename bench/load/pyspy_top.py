"""Where the gunicorn workers spent their CPU during a load run, from py-spy's collapsed stacks.

    .venv/bin/python bench/load_test.py --py-spy                      # writes var/bench/load_<run>_pyspy.txt
    .venv/bin/python bench/load/pyspy_top.py var/bench/load_<run>_pyspy.txt
    .venv/bin/python bench/load/pyspy_top.py FILE --under "get_response (django/core/handlers/base.py)"
    .venv/bin/python bench/load/pyspy_top.py FILE --children "__call__ (django/core/handlers/wsgi.py)"

Prints the share of samples by area (gunicorn's own loop, middleware, view code, Django templates,
Jinja2, ORM compiling and building rows, the database driver, gettext, ...), then the functions
with the most samples of their own and the most samples inclusive. ``--under`` keeps only the
stacks that pass through a frame whose text contains the string; ``--children`` splits the
samples under such a frame by the frame right below it. Samples are taken only while a worker is
on the CPU (py-spy without ``--idle``), so a worker waiting for PostgreSQL counts nothing.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# A frame as py-spy prints it: "name (path/to/file.py:123)"; the line number is dropped so that one
# function is one row.
FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")

# Areas, first match wins, tested on the stack from the innermost frame outwards.
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("database driver (psycopg2, cursor wrappers)", ("psycopg2", "django/db/backends/")),
    ("Jinja2 templates", ("jinja2/", "<template>")),
    ("Django templates", ("django/template/", "django/templatetags/")),
    ("ORM: compiling SQL", ("django/db/models/sql/", "django/db/models/expressions.py", "django/db/models/lookups.py")),
    ("ORM: building rows and instances", ("django/db/models/query.py", "django/db/models/base.py")),
    ("ORM: other", ("django/db/",)),
    ("gettext / translation", ("gettext", "django/utils/translation/")),
    ("DRF", ("rest_framework/",)),
    ("sessions, cache, Redis", ("django/contrib/sessions/", "django/core/cache/", "redis/", "hefei_aid/cache.py")),
    ("URL resolving / reverse", ("django/urls/",)),
    ("forms", ("django/forms/",)),
    ("HTTP request / response objects", ("django/http/",)),
    ("encryption / signing", ("cryptography/", "django/core/signing.py", "hashlib", "hmac")),
    ("logging", ("logging/",)),
    ("garbage collection", ("<gc>",)),
    (
        "project code",
        ("accounts/", "applications/", "casework/", "charity/", "eligibility/", "oversight/", "hefei_aid/"),
    ),
    ("other Django", ("django/",)),
    ("gunicorn (its own loop, parsing, writing)", ("gunicorn/",)),
]


def short(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['name']} ({path})"


def read(path: Path) -> list[tuple[list[str], int]]:
    stacks: list[tuple[list[str], int]] = []
    for line in path.read_text(errors="replace").splitlines():
        head, _, count = line.rpartition(" ")
        if not head or not count.isdigit():
            continue
        frames = [f for f in head.split(";") if not f.startswith("process ")]
        stacks.append(([short(f) for f in frames], int(count)))
    return stacks


def area(frames: list[str]) -> str:
    for frame in reversed(frames):
        for label, markers in AREAS:
            if any(m in frame for m in markers):
                return label
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--under", default="", help="keep only stacks through a frame containing this text")
    parser.add_argument("--children", default="", help="split the samples under this frame by the frame below it")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    stacks = read(args.file)
    if args.under:
        stacks = [(f, n) for f, n in stacks if any(args.under in x for x in f)]
    total = sum(n for _, n in stacks)
    if not total:
        raise SystemExit("no samples")
    print(f"{total} samples")

    def table(title: str, counts: Counter[str]) -> None:
        print(f"\n{title}")
        for key, n in counts.most_common(args.top):
            print(f"{100 * n / total:6.1f} %  {n:>7}  {key}")

    if args.children:
        below: Counter[str] = Counter()
        for frames, n in stacks:
            for i, frame in enumerate(frames):
                if args.children in frame:
                    below[frames[i + 1] if i + 1 < len(frames) else "(itself)"] += n
                    break
        table(f"below {args.children!r}", below)
        return

    areas: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, n in stacks:
        areas[area(frames)] += n
        if frames:
            own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    table("by area (innermost frame that names one)", areas)
    table("own samples", own)
    table("inclusive samples", inclusive)


if __name__ == "__main__":
    main()
