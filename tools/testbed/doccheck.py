#!/usr/bin/python3
"""Check that reStructuredText files parse without warnings (docutils).

usage: doccheck.py FILE...   prints each problem, exits 1 if there is one.
A merge that leaves a conflict marker or breaks a table shows up here.
"""
import io
import sys

import docutils.core

bad = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        src = f.read()
    err = io.StringIO()
    docutils.core.publish_doctree(
        src, source_path=path,
        settings_overrides={"warning_stream": err, "report_level": 2,
                            "halt_level": 5})
    if err.getvalue():
        sys.stdout.write(err.getvalue())
        bad = 1
sys.exit(bad)
