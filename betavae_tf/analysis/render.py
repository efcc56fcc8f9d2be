"""Markdown and HTML from one list of report blocks (the reproduction's report and betavae-analyze's).

A block is ("h1" | "h2" | "p", text), ("table", header, rows) or ("img", path,
caption); a table cell written **like this** is shown bold.
"""

import html


def to_markdown(items):
    lines = []
    for item in items:
        kind = item[0]
        if kind in ("h1", "h2"):
            lines += [("# " if kind == "h1" else "## ") + item[1], ""]
        elif kind == "p":
            lines += [item[1], ""]
        elif kind == "table":
            header, rows = item[1], item[2]
            lines.append("| " + " | ".join(str(h) for h in header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
            lines.append("")
        elif kind == "img":
            lines += [f"![{item[2]}]({item[1]})", "", f"*{item[2]}*", ""]
    return "\n".join(lines)


def to_html(items, title="betavae_tf reproduction"):
    def cell(c):
        text = html.escape(str(c))
        return text.replace("**", "") if not text.startswith("**") else f"<b>{text.strip('*')}</b>"

    body = []
    for item in items:
        kind = item[0]
        if kind in ("h1", "h2"):
            body.append(f"<{kind}>{html.escape(item[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{html.escape(item[1]).replace('`', '')}</p>")
        elif kind == "table":
            head = "".join(f"<th>{html.escape(str(h))}</th>" for h in item[1])
            rows = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in item[2])
            body.append(f"<table><tr>{head}</tr>{rows}</table>")
        elif kind == "img":
            body.append(
                f'<figure><img src="{html.escape(item[1])}" style="max-width:100%">'
                f"<figcaption>{html.escape(item[2])}</figcaption></figure>"
            )
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse;"
        "margin:1em 0}td,th{border:1px solid #999;padding:3px 6px;font-size:13px}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )
