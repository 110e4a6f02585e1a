"""Replace one drill's block in drills/catalog.toml, under a file lock (for parallel authors).

    python tools/set_catalog_entry.py SLUG ENTRY.toml

The block is the text between `# BEGIN SLUG` and `# END SLUG`; it is added at the end
of the file if absent. The result must still parse (grader.catalog), or nothing is written.
"""
import fcntl
import os
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root))
from grader.catalog import parse_catalog  # noqa: E402

slug, entry_file = sys.argv[1], Path(sys.argv[2])
catalog = root / "drills" / "catalog.toml"
body = entry_file.read_text(encoding="utf-8").strip()
with open(root / "drills" / ".catalog.lock", "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    text = catalog.read_text(encoding="utf-8")
    begin, end = f"# BEGIN {slug}\n", f"# END {slug}\n"
    block = f"{begin}{body}\n{end}"
    if begin in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        new = head + block + tail
    else:
        new = text.rstrip("\n") + "\n\n" + block
    parsed = parse_catalog(new)
    if slug not in parsed.slugs:
        sys.exit(f"the block does not define a drill with slug {slug!r}")
    tmp = catalog.with_suffix(".toml.tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, catalog)
print(f"catalog.toml: {slug} written ({len(parsed.drills)} drills)")
