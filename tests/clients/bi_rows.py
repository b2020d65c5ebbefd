"""The statements of tests/clients/bi/<tool>.sql and the rows files their answers are kept in.

A statement is a chunk of its file (chunks are separated by `-- next` lines), numbered from 1
in file order. A chunk with a `-- compare` line is one about the catalog's shape: its rows
are compared with PostgreSQL's answer for the same catalog (tests/clients/expected/<tool>.txt,
recorded by scripts/record-pg-answers.sh), all its columns, or with `-- compare: a, b` those
named (a name that repeats in a result is `name#2` the second time).

A rows file, as the recorder writes the expected answers and the replays (bi_replay.py,
BiReplay.java, grafana_replay.go) write ours when MEDIASQL_BI_ROWS names a folder:

    # comment lines, first only
    == INDEX FLAG [-- note]
    column<TAB>column...
    value<TAB>value...          one line a row

FLAG is `ordered` (the statement ends in an ORDER BY: rows in PostgreSQL's order), `sorted`
(rows sorted as text) or, for our answers, `rows` or `error` (then one line: the message).
A value is text as the server sent it, NULL is `\\N`, and `\\`, tab, newline and carriage
return are written `\\\\`, `\\t`, `\\n`, `\\r`."""
import re

VALUE = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|-?\d+|oid of (?:schema|table) \w+)(?:::(\w+(?:\[\])?))?")
# Types a value may name (`'{23,25}'::int4[]`); a quoted value is varchar otherwise, a number int8.
TYPE_OIDS = {"unknown": 0, "text": 25, "varchar": 1043, "int8": 20, "int4": 23, "int2[]": 1005, "int4[]": 1007}
OID_OF = {
    "schema": "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s",
    "table": "SELECT oid FROM pg_catalog.pg_class WHERE relname = %s",
}


def statements(path):
    """(index, source, sql, comments, compare) for each statement of a tool's file; compare is
    None (not compared), [] (all columns) or the column names a `-- compare:` line lists."""
    for index, chunk in enumerate(path.read_text().split("\n-- next\n"), 1):
        lines = chunk.strip("\n").splitlines()
        source = next((l for l in lines if l.startswith("-- source:")), "-- source: ?")
        comments = [l for l in lines if l.startswith("-- ") and not l.startswith("-- ping")]
        body = [l for l in lines if l not in comments]
        sql = "\n".join(body).strip()
        compare = None
        for line in comments:
            if line.strip() == "-- compare":
                compare = []
            elif line.startswith("-- compare:"):
                compare = [c.strip() for c in line[len("-- compare:"):].split(",") if c.strip()]
        if sql:
            yield index, source[len("-- source: "):], sql, comments, compare


def parameters(conn, comments):
    """$n -> (text, type oid) from the `-- $1 = ...` comments, `conn` a psycopg connection."""
    values = {}
    for comment in comments:
        for n, value, type_name in VALUE.findall(comment):
            if value.startswith("'"):
                values[int(n)] = (value[1:-1].replace("''", "'"), 1043)
            elif value.startswith("oid of"):
                _, _, kind, name = value.split()
                oid = conn.execute(OID_OF[kind], (name,)).fetchone()
                values[int(n)] = (str(oid[0]) if oid else "0", 20)
            else:
                values[int(n)] = (value, 20)
            if type_name:
                values[int(n)] = (values[int(n)][0], TYPE_OIDS[type_name])
    return values


def escape(value):
    if value is None:
        return "\\N"
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode()
    return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def pgresult_rows(result):
    """Column names and text rows of a psycopg (3) PGresult in text format."""
    names = [result.fname(c).decode() for c in range(result.nfields)]
    rows = [[result.get_value(r, c) for c in range(result.nfields)] for r in range(result.ntuples)]
    return names, rows


def block(index, flag, names, rows, note=""):
    """One statement's lines of a rows file."""
    head = f"== {index} {flag}" + (f" -- {note}" if note else "")
    lines = [head, "\t".join(escape(n) for n in names)]
    lines += ["\t".join(escape(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def error_block(index, message):
    return f"== {index} error\n{escape(message)}\n"


def ends_ordered(sql):
    """Whether `sql` has an ORDER BY outside parentheses, strings and comments (its rows then
    come in a defined order)."""
    depth, i, text = 0, 0, sql.upper()
    while i < len(text):
        c = text[i]
        if text.startswith("--", i):
            i = text.find("\n", i)
            if i < 0:
                break
        elif c in "'\"":
            end = text.find(c, i + 1)
            i = len(text) if end < 0 else end
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and re.match(r"ORDER\s+BY\b", text[i:]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            return True
        i += 1
    return False
