"""`panel agencies ...`: the installation's agencies from the command line (acting as the system).

    panel agencies list
    panel agencies add NAME --kind police [--statutory]
    panel agencies rename NAME NEW_NAME
    panel agencies merge NAME INTO_NAME
    panel agencies retire NAME
    panel agencies import FILE      (CSV or Excel: name, kind, statutory)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _find(name: str):
    from panel.agencies import rules
    from panel.agencies import service as agency_service
    from panel.core.access import SYSTEM
    from panel.core.errors import NotFound

    for a in agency_service.list_agencies(SYSTEM, include_retired=True):
        if rules.name_key(a.name) == rules.name_key(name):
            return a
    raise NotFound(f"No agency named {name!r}.")


def _list(args) -> int:
    from panel.agencies import rules
    from panel.agencies import service as agency_service
    from panel.core.access import SYSTEM

    for a in agency_service.list_agencies(SYSTEM, include_retired=True):
        flags = [rules.kind_label(a.kind)] + (["statutory partner"] if a.statutory else []) \
            + ([] if a.active else ["retired"])
        print(f"{a.name} ({', '.join(flags)})")
    return 0


def _add(args) -> int:
    from panel.agencies import service as agency_service
    from panel.core.access import SYSTEM

    agency_service.add_agency(SYSTEM, args.name, args.kind, args.statutory)
    print(f"Added {args.name.strip()}.")
    return 0


def _rename(args) -> int:
    from panel.agencies import service as agency_service
    from panel.core.access import SYSTEM

    a = _find(args.name)
    agency_service.update_agency(SYSTEM, a.id, name=args.new_name, kind=a.kind, statutory=a.statutory)
    print(f"Renamed {a.name} to {args.new_name.strip()}.")
    return 0


def _merge(args) -> int:
    from panel.agencies import service as agency_service
    from panel.core.access import SYSTEM

    source, target = _find(args.name), _find(args.into)
    result = agency_service.merge_agencies(SYSTEM, source.id, target.id)
    moved = ", ".join(f"{n} {k}" for k, n in result.moved.items()) or "no records"
    print(f"Merged {source.name} into {target.name} ({moved} moved); {source.name} is retired.")
    return 0


def _retire(args) -> int:
    from panel.agencies import service as agency_service
    from panel.core.access import SYSTEM

    a = _find(args.name)
    agency_service.set_active(SYSTEM, a.id, False)
    print(f"Retired {a.name}: kept on its records, no longer offered in forms.")
    return 0


def _import(args) -> int:
    from panel.agencies import service as agency_service
    from panel.core.access import SYSTEM

    path = Path(args.file)
    if not path.is_file():
        print(f"{path}: no such file.", file=sys.stderr)
        return 2
    if path.stat().st_size > 1024 * 1024:
        print(f"{path}: an agency list is at most 1 MB.", file=sys.stderr)
        return 2
    result = agency_service.import_agencies(SYSTEM, path.read_bytes(), path.name, dry_run=args.dry_run)
    if result.problems:
        for line in result.problems:
            print(line, file=sys.stderr)
        print(f"{len(result.problems)} problem(s): nothing was added.", file=sys.stderr)
        return 2
    print("Dry run: every row is valid; nothing was added." if args.dry_run else f"Added {result.added} agencies.")
    return 0


def add_parser(subparsers) -> None:
    from panel.agencies.rules import KINDS

    p = subparsers.add_parser("agencies", help="list, add, rename, merge, retire or import agencies",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="agencies", required=True)
    sub.add_parser("list", help="every agency, retired ones too").set_defaults(fn=_list)
    a = sub.add_parser("add", help="add an agency")
    a.add_argument("name")
    a.add_argument("--kind", required=True, choices=KINDS)
    a.add_argument("--statutory", action="store_true",
                   help="a statutory safeguarding partner (local authority, police, integrated care board)")
    a.set_defaults(fn=_add)
    r = sub.add_parser("rename", help="rename an agency")
    r.add_argument("name")
    r.add_argument("new_name")
    r.set_defaults(fn=_rename)
    m = sub.add_parser("merge", help="move every record of one agency to another, then retire it")
    m.add_argument("name")
    m.add_argument("into")
    m.set_defaults(fn=_merge)
    t = sub.add_parser("retire", help="keep an agency on its records but stop offering it in forms")
    t.add_argument("name")
    t.set_defaults(fn=_retire)
    i = sub.add_parser("import", help="add the agencies of a CSV or Excel list (name, kind, statutory)")
    i.add_argument("file", metavar="FILE")
    i.add_argument("--dry-run", action="store_true", help="check every row; add nothing")
    i.set_defaults(fn=_import)
