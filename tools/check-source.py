#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
#
# Source checks run as a test (like curl's checksrc): banned functions,
# C++ comments, strcmp()==0 instead of streq(), and a role comment at the
# top of every C file.
import os
import re
import sys

BANNED = re.compile(r"\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok|system|popen)\s*\(")
STRCMP_EQ = re.compile(r"strcmp\s*\([^;]*\)\s*==\s*0")
LINE_COMMENT = re.compile(r"^\s*//|[;{}]\s*//")

root = sys.argv[1]
problems = []
for top in ("src", "tests/unit", "tests/fuzz", "tests/tools"):
    for dirpath, _, files in os.walk(os.path.join(root, top)):
        for name in files:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            text = open(path, encoding="utf-8").read()
            if "SPDX-License-Identifier" not in text.split("\n", 2)[0] or "/*" not in text[:400]:
                problems.append(f"{rel}:1: missing SPDX line or role comment at the top")
            in_string = False
            for no, line in enumerate(text.split("\n"), 1):
                code = re.sub(r'"(\\.|[^"\\])*"', '""', line)
                if BANNED.search(code):
                    problems.append(f"{rel}:{no}: banned function: {line.strip()}")
                if STRCMP_EQ.search(code):
                    problems.append(f"{rel}:{no}: use streq() instead of strcmp()==0")
                if LINE_COMMENT.search(code):
                    problems.append(f"{rel}:{no}: use /* */ comments")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
