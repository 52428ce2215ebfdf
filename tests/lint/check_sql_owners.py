#!/usr/bin/env python3
"""One owner for the SQL against Mycelium's own tables.

In the extension, only extension/src/catalog/ holds SQL text that reads or writes a table or view
the extension script creates; in the agent, only agent/node_store.cpp does. Everything else calls
their typed functions. This check fails, naming file and line, when a statement against one of
those relations appears anywhere else. Statements against a peer's foreign tables (the push,
in extension/src/replication.cpp) name a peer schema, not `mycelium.`, and DDL creating a
shard's partition (`PARTITION OF mycelium.data`) is storage, not a catalog statement.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = next((ROOT / "extension").glob("mycelium--*.sql"))

OWNERS = {
    "extension/src": ["extension/src/catalog/"],
    "agent": ["agent/node_store.cpp"],
}

STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def relations():
    text = SCRIPT.read_text()
    names = re.findall(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW)\s+mycelium\.(\w+)", text)
    if len(names) < 10:
        sys.exit(f"check_sql_owners: found only {names} in {SCRIPT}: the pattern is stale")
    return sorted(set(names))


def statement_pattern(names):
    return re.compile(
        r"\b(?:FROM|INTO|UPDATE|JOIN)\s+mycelium\.(" + "|".join(names) + r")\b"
    )


def literal_text(source):
    """The text of each line's string literals, comments dropped, with line numbers."""
    for number, line in enumerate(source.splitlines(), 1):
        code = line.split("//", 1)[0] if not line.lstrip().startswith('"') else line
        yield number, " ".join(STRING.findall(code))


def offences(pattern):
    found = []
    for folder, owners in OWNERS.items():
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".cpp", ".hpp", ".h"):
                continue
            rel = path.relative_to(ROOT).as_posix()
            if any(rel == o or rel.startswith(o) for o in owners):
                continue
            # A statement split over several literals is joined before matching.
            joined, lines = "", []
            for number, text in literal_text(path.read_text(errors="replace")):
                if text:
                    joined += " " + text
                    lines.append(number)
                else:
                    for m in pattern.finditer(joined):
                        found.append(f"{rel}:{lines[0]}: SQL against mycelium.{m.group(1)}")
                    joined, lines = "", []
            for m in pattern.finditer(joined):
                found.append(f"{rel}:{lines[0]}: SQL against mycelium.{m.group(1)}")
    return found


def self_test(pattern):
    sample = 'static pg::Statement s("SELECT 1 "\n    "FROM mycelium.shards WHERE x");\n'
    joined = " ".join(t for _, t in literal_text(sample))
    assert pattern.search(joined), "the pattern misses a split statement"
    assert not pattern.search(" ".join(t for _, t in literal_text('// FROM mycelium.shards\n')))


def main():
    pattern = statement_pattern(relations())
    self_test(pattern)
    found = offences(pattern)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} statement(s) outside their owner: move them into the catalog "
              "(extension/src/catalog/) or the agent's NodeStore (agent/node_store.cpp)")
        return 1
    print("every statement against the extension's tables is in its owner")
    return 0


if __name__ == "__main__":
    sys.exit(main())
