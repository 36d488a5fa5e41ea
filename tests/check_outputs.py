#!/usr/bin/env python3
"""Parses every output file under the given directories with a real parser:
JSON (duplicate keys refused), CSV (UTF-8, every row as wide as the header),
SVG (XML), HTML (report.html: elements balanced, no script, each inline SVG
well-formed XML). Prints one line per bad file and exits 1 if any; prints the count
of files checked otherwise. Used by tests/sim_reliability.cpp."""
import csv
import html.parser
import io
import re
import json
import os
import sys
import xml.etree.ElementTree as ET


def no_dup_keys(pairs):
    keys = [k for k, _ in pairs]
    dups = {k for k in keys if keys.count(k) > 1}
    if dups:
        raise ValueError("duplicate keys: %s" % sorted(dups))
    return dict(pairs)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Balanced(html.parser.HTMLParser):
    """Requires every non-void element closed in order; refuses <script>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            raise ValueError("contains a <script>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            raise ValueError("</%s> closes <%s> at line %d" % (tag, self.stack[-1] if self.stack else "nothing",
                                                                self.getpos()[0]))
        self.stack.pop()


def check_html(text):
    p = Balanced()
    p.feed(text)
    p.close()
    if p.stack:
        raise ValueError("unclosed elements: %s" % p.stack)
    for svg in re.findall(r"<svg\b.*?</svg>", text, re.S):
        ET.fromstring(svg)


def check(path):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")  # strict: invalid UTF-8 raises
    if path.endswith(".json"):
        json.loads(text, object_pairs_hook=no_dup_keys)
    elif path.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        if not rows:
            raise ValueError("empty CSV")
        for i, r in enumerate(rows[1:], 2):
            if len(r) != len(rows[0]):
                raise ValueError("row %d has %d fields, header %d" % (i, len(r), len(rows[0])))
    elif path.endswith(".svg"):
        ET.fromstring(raw)
    elif path.endswith(".html"):
        check_html(text)
    else:
        return False
    return True


def main():
    bad, n = 0, 0
    for top in sys.argv[1:]:
        for root, _, files in os.walk(top):
            for name in files:
                p = os.path.join(root, name)
                try:
                    n += check(p)
                except Exception as e:  # noqa: BLE001 - report every failure
                    print("%s: %s" % (p, e))
                    bad += 1
    print("checked %d files" % n)
    return 1 if bad or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
