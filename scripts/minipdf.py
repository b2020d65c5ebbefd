"""A minimal, valid PDF writer for the fixture and demo scripts: lines of Helvetica text on each
page, with an exact xref table."""


def pdf(pages, font_size=18, leading=None, encoding=None):
    """`pages`: one list of text lines per page. `leading` spaces the lines (a trailing space
    keeps them apart in extracted text); `encoding` names the font's encoding."""
    font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
    font += f" /Encoding /{encoding} >>" if encoding else " >>"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None, font]
    kids = []
    for lines in pages:
        if leading:
            shown = " T* ".join(f"({line} )Tj" for line in lines)
            text = f"BT /F1 {font_size} Tf {leading} TL 72 720 Td {shown} ET"
        else:
            text = f"BT /F1 {font_size} Tf 72 720 Td ({' '.join(lines)}) Tj ET"
        stream = text.encode()
        objs.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode()}\nendstream")
        content = len(objs)
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                    f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>")
        kids.append(f"{len(objs)} 0 R")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
