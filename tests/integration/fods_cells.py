#!/usr/bin/env python3
"""Compares a CSV file with what LibreOffice made of it (a flat ODS, .fods).

    fods_cells.py FILE.csv FILE.fods PHONE_COLUMN...

For every cell of the CSV, the spreadsheet's cell at the same place must hold
no formula and show the CSV's text as a text cell. Two exceptions, both a
literal value and never a formula: in the phone-number columns named on the
command line a "+" followed by digits is a number equal to those digits (that
is how a spreadsheet reads "+4930123"), and anywhere a plain whole number or
true/false may be read as a number or a boolean of that same value. The sheet
must have no cell the CSV has not.

Prints one line per problem and a summary; exits 1 on any problem. With
--count-formulas, prints only how many cells of the sheet hold a formula (for
the control file that shows the check can fail).
"""

import csv
import re
import sys
import xml.etree.ElementTree as ET

NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
T = "{%s}" % NS["table"]
O = "{%s}" % NS["office"]
X = "{%s}" % NS["text"]
# A sheet is at most this big here: bounds the repeated-cell expansion.
MAX_ROWS, MAX_COLS = 10000, 200


def paragraph_text(p):
    """The text of a <text:p>, with its spaces, tabs and line breaks."""
    out = [p.text or ""]
    for child in p:
        if child.tag == X + "s":
            out.append(" " * int(child.get(X + "c", "1")))
        elif child.tag == X + "tab":
            out.append("\t")
        elif child.tag == X + "line-break":
            out.append("\n")
        else:
            out.append(paragraph_text(child))
        out.append(child.tail or "")
    return "".join(out)


def sheet_cells(path):
    """{(row, column): (value_type, formula, text, value)} of the first sheet's non-empty cells."""
    root = ET.parse(path).getroot()
    table = root.find(".//table:table", NS)
    cells = {}
    r = 0
    for row in table.iter(T + "table-row"):
        rows = min(int(row.get(T + "number-rows-repeated", "1")), MAX_ROWS)
        c = 0
        for cell in row:
            if cell.tag not in (T + "table-cell", T + "covered-table-cell"):
                continue
            cols = min(int(cell.get(T + "number-columns-repeated", "1")), MAX_COLS)
            kind = cell.get(O + "value-type")
            formula = cell.get(T + "formula")
            text = "\n".join(paragraph_text(p) for p in cell.findall("text:p", NS))
            value = cell.get(O + "value") or cell.get(O + "boolean-value")
            if kind or formula or text:
                for dr in range(rows):
                    for dc in range(cols):
                        cells[(r + dr, c + dc)] = (kind, formula, text, value)
            c += cols
        r += rows
        if r > MAX_ROWS:
            break
    return cells


def literal_ok(text, kind, value, phone_column):
    """A non-text cell that is the CSV text's own value."""
    if kind == "float" and value is not None:
        digits = text[1:] if phone_column and re.fullmatch(r"\+[0-9]+", text) else text
        if re.fullmatch(r"[0-9]+", digits) and len(digits) <= 15:
            return float(value) == float(int(digits))
        return False
    if kind == "boolean" and value is not None:
        return text.lower() in ("true", "false") and value == text.lower()
    return False


def main(argv):
    if argv[1:2] == ["--count-formulas"]:
        print(sum(1 for v in sheet_cells(argv[2]).values() if v[1]))
        return 0
    csv_path, fods_path, phone_columns = argv[1], argv[2], set(argv[3:])
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    cells = sheet_cells(fods_path)
    problems = []
    checked = texts = numbers = 0
    for r, row in enumerate(rows):
        for c, want in enumerate(row):
            got = cells.pop((r, c), None)
            where = "row %d column %s" % (r + 1, header[c] if c < len(header) else c + 1)
            if want == "":
                if got is not None:
                    problems.append("%s: empty in the CSV, the sheet has %r" % (where, got))
                continue
            checked += 1
            if got is None:
                problems.append("%s: %r is missing from the sheet" % (where, want))
                continue
            kind, formula, text, value = got
            if formula:
                problems.append("%s: %r became the formula %r (shows %r)" % (where, want, formula, text))
            elif kind == "string" and text == want:
                texts += 1
            elif literal_ok(want, kind, value, r > 0 and header[c] in phone_columns):
                numbers += 1
            else:
                problems.append("%s: %r reads as %s %r (value %r)" % (where, want, kind, text, value))
    for (r, c), got in sorted(cells.items()):
        problems.append("row %d column %d: the sheet has %r, the CSV nothing" % (r + 1, c + 1, got))
    for p in problems:
        print(p)
    print("%d cells: %d text as written, %d numbers or booleans of their own value, %d problems"
          % (checked, texts, numbers, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
