#!/usr/bin/env python3
"""The documentation names what the code has (run by ctest as docs_match_code).

Each check reads a list out of the code and the place in the docs that must cover it, and
fails naming what is missing, so a new message type, metric, setting, endpoint, role or SQL
function cannot land undocumented, and a removed one cannot stay documented:

- every member of the wire union (schemas/mycelium.fbs) has a section in schemas/PROTOCOL.md;
- PROTOCOL.md's "`N` today" for version_minor is kProtocolMinor;
- every mycelium_agent_* metric of agent/metrics.hpp is in agent/README.md's table, and the
  table has no other;
- every configuration key the agent accepts (agent/config.cpp) is in agent/README.md;
- every HTTP path the agent serves (agent/agent.cpp) is in agent/README.md;
- README.md's count of group roles ("creates four NOLOGIN group roles") is the number the
  extension's script creates, and each is named;
- every public SQL function (mycelium.name, no leading underscore, not a trigger function) is
  in README.md;
- every MCnnn error code of core/include/mycelium/error.hpp is in README.md's error table, once
  named, and the table has no other.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8}


def read(path):
    return (ROOT / path).read_text(encoding="utf-8")


def extension_script():
    scripts = sorted((ROOT / "extension").glob("mycelium--*.sql"),
                     key=lambda p: [int(x) for x in re.findall(r"\d+", p.name)])
    return scripts[-1].read_text(encoding="utf-8")


def check_union(problems):
    fbs = read("schemas/mycelium.fbs")
    body = re.search(r"union Message \{(.*?)\}", fbs, re.S).group(1)
    # A member is "Name," or "Name: Table," (a member named apart from its table).
    members = [m for m in re.findall(r"^\s*([A-Za-z]+)(?:\s*:\s*[A-Za-z]+)?,", body, re.M)]
    headings = " ".join(re.findall(r"^### (.*)$", read("schemas/PROTOCOL.md"), re.M))
    for m in members:
        if not re.search(r"\b%s\b" % m, headings):
            problems.append(f"PROTOCOL.md has no '### ...{m}...' section for union member {m}")
    return len(members)


def check_minor(problems):
    minor = re.search(r"kProtocolMinor = (\d+);",
                      read("core/include/mycelium/protocol/envelope.hpp")).group(1)
    said = re.search(r"`version_minor`.*?`(\d+)` today", read("schemas/PROTOCOL.md"))
    if not said:
        problems.append("PROTOCOL.md does not say which version_minor is current ('`N` today')")
    elif said.group(1) != minor:
        problems.append(f"PROTOCOL.md says version_minor {said.group(1)} today; the code sends {minor}")


def check_metrics(problems):
    code = set(re.findall(r'"(mycelium_agent_[a-z_]+)"', read("agent/metrics.hpp")))
    readme = read("agent/README.md")
    table = set(re.findall(r"^\| `(mycelium_agent_[a-z_]+)`", readme, re.M))
    for m in sorted(code - table):
        problems.append(f"agent/README.md's metric table lacks {m}")
    for m in sorted(table - code):
        problems.append(f"agent/README.md lists metric {m}, which the agent does not export")
    return len(code)


def check_config_keys(problems):
    config = read("agent/config.cpp")
    top = re.search(r"kTopLevelKeys = \{(.*?)\};", config, re.S).group(1)
    keys = re.findall(r'"([a-z_]+)"', top)
    for section, inner in re.findall(r'section\(\s*"([a-z_]+)",\s*\{(.*?)\}', config, re.S):
        keys += [f"{section}.{k}" for k in re.findall(r'"([a-z_]+)"', inner)]
    readme = read("agent/README.md")
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", readme))
    sections = {k.split(".")[0] for k in keys if "." in k}
    for k in keys:
        if k in sections:
            continue  # a section is documented through its keys
        if k not in documented:
            problems.append(f"agent/README.md does not document configuration key {k}")
    return len(keys)


def check_http_paths(problems):
    paths = set(re.findall(r'path == "(/[a-z]+)"', read("agent/agent.cpp")))
    readme = read("agent/README.md")
    for p in sorted(paths):
        if f"`{p}`" not in readme and f"GET {p}" not in readme and f" {p}" not in readme:
            problems.append(f"agent/README.md does not document the HTTP path {p}")
    return len(paths)


def check_roles(problems):
    roles = re.findall(r"CREATE ROLE (mycelium_[a-z]+) NOLOGIN", extension_script())
    readme = read("README.md")
    said = re.search(r"creates (\w+) NOLOGIN group roles", readme)
    if not said or NUMBERS.get(said.group(1)) != len(roles):
        problems.append(f"README.md should say the extension creates {len(roles)} NOLOGIN group "
                        f"roles (it says: {said.group(0) if said else 'nothing'})")
    for r in roles:
        if f"`{r}`" not in readme:
            problems.append(f"README.md does not name the role {r}")
    return len(roles)


def check_sql_functions(problems):
    # Trigger functions are the tables' machinery, not an API.
    script = extension_script()
    names = set(re.findall(r"CREATE FUNCTION mycelium\.([a-z][a-z0-9_]*)\(", script))
    names -= set(re.findall(r"CREATE FUNCTION mycelium\.([a-z][a-z0-9_]*)\([^)]*\)\s+RETURNS trigger",
                            script))
    readme = read("README.md")
    for n in sorted(names):
        if not re.search(r"\b%s\b" % re.escape(n), readme):
            problems.append(f"README.md does not mention the SQL function mycelium.{n}")
    return len(names)


def check_error_codes(problems):
    codes = re.findall(r'= "(MC\d{3})";', read("core/include/mycelium/error.hpp"))
    table = set(re.findall(r"^\| (MC\d{3}) \|", read("README.md"), re.M))
    for c in codes:
        if c not in table:
            problems.append(f"README.md's error table lacks {c}")
    for c in sorted(table - set(codes)):
        problems.append(f"README.md's error table lists {c}, which the code does not raise")
    if len(codes) != len(set(codes)):
        problems.append("core/include/mycelium/error.hpp gives one MC code two names")
    return len(codes)


def main():
    problems = []
    counts = {
        "union members": check_union(problems),
        "metrics": check_metrics(problems),
        "configuration keys": check_config_keys(problems),
        "HTTP paths": check_http_paths(problems),
        "group roles": check_roles(problems),
        "SQL functions": check_sql_functions(problems),
        "error codes": check_error_codes(problems),
    }
    check_minor(problems)
    for p in problems:
        print("docs: " + p)
    if problems:
        return 1
    print("docs match the code: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
