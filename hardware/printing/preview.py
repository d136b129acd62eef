"""Reading ESC/POS bytes back: a strict parser of the command subset our labels use, and a PNG
preview drawn from it (for the simulated printer and the demo). An unknown command is an error,
not something skipped: what we send must be exactly what we meant to send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10

# fixed-length commands: (prefix, second byte) -> number of parameter bytes
_FIXED: dict[tuple[int, int], int] = {
    (ESC, ord("@")): 0, (ESC, ord("a")): 1, (ESC, ord("E")): 1, (ESC, ord("-")): 1, (ESC, ord("!")): 1,
    (ESC, ord("M")): 1, (ESC, ord("t")): 1, (ESC, ord("d")): 1, (ESC, ord("J")): 1, (ESC, ord("2")): 0,
    (ESC, ord("3")): 1, (ESC, ord("{")): 1, (ESC, ord("G")): 1, (ESC, ord("r")): 1, (ESC, ord("=")): 1,
    (GS, ord("!")): 1, (GS, ord("B")): 1, (GS, ord("h")): 1, (GS, ord("w")): 1, (GS, ord("H")): 1,
    (GS, ord("f")): 1, (GS, ord("b")): 1, (GS, ord("|")): 1, (GS, 0x0C): 0, (GS, ord("L")): 2,
    (FS, ord("&")): 0, (FS, ord(".")): 0, (FS, ord("!")): 1, (DLE, 0x04): 1,
}


class ParseError(ValueError):
    pass


@dataclass
class Op:
    kind: str  # text | cmd | barcode | qr | image | cut | feed_label | status_query
    data: Any = None
    args: dict = field(default_factory=dict)


def parse(data: bytes) -> list[Op]:
    """Parse ESC/POS bytes into operations. Text runs inside FS & ... FS . are decoded as GB18030."""
    ops: list[Op] = []
    i, n = 0, len(data)
    kanji = False
    text = bytearray()
    qr: dict[str, Any] = {}

    def flush_text() -> None:
        if text:
            ops.append(Op("text", bytes(text).decode("gb18030" if kanji else "ascii"), {"kanji": kanji}))
            text.clear()

    while i < n:
        b = data[i]
        if b in (ESC, GS, FS, DLE):
            if i + 1 >= n:
                raise ParseError(f"truncated command at {i}")
            c = data[i + 1]
            key = (b, c)
            if b == GS and c == ord("v") and data[i + 2:i + 3] == b"0":
                flush_text()
                if i + 8 > n:
                    raise ParseError(f"truncated GS v 0 at {i}")
                xb = data[i + 4] | data[i + 5] << 8
                h = data[i + 6] | data[i + 7] << 8
                end = i + 8 + xb * h
                if end > n:
                    raise ParseError(f"GS v 0 at {i}: image data truncated")
                ops.append(Op("image", data[i + 8:end], {"width_bytes": xb, "height": h, "m": data[i + 3]}))
                i = end
                continue
            if b == GS and c == ord("k"):
                flush_text()
                m = data[i + 2]
                if m >= 65:
                    ln = data[i + 3]
                    payload = data[i + 4:i + 4 + ln]
                    if len(payload) != ln:
                        raise ParseError(f"GS k at {i}: truncated")
                    ops.append(Op("barcode", payload, {"m": m}))
                    i += 4 + ln
                else:
                    end = data.index(b"\x00", i + 3)
                    ops.append(Op("barcode", data[i + 3:end], {"m": m}))
                    i = end + 1
                continue
            if b == GS and c == ord("(") and i + 4 < n:
                fn_class = data[i + 2]
                ln = data[i + 3] | data[i + 4] << 8
                body = data[i + 5:i + 5 + ln]
                if len(body) != ln:
                    raise ParseError(f"GS ( at {i}: truncated")
                i += 5 + ln
                if fn_class == ord("k") and body[:1] == b"1":
                    fn = body[1]
                    if fn == 65:
                        qr["model"] = body[2] - 48
                    elif fn == 67:
                        qr["size"] = body[2]
                    elif fn == 69:
                        qr["ec"] = body[2] - 48
                    elif fn == 80:
                        qr["data"] = body[3:]
                    elif fn == 81:
                        flush_text()
                        ops.append(Op("qr", qr.get("data", b""), dict(qr)))
                        qr = {}
                    continue
                ops.append(Op("cmd", bytes([b, c, fn_class]) + body))
                continue
            if b == GS and c == ord("V"):
                flush_text()
                m = data[i + 2]
                if m in (65, 66, 97, 98, 103, 104):
                    ops.append(Op("cut", None, {"m": m, "n": data[i + 3]}))
                    i += 4
                else:
                    ops.append(Op("cut", None, {"m": m}))
                    i += 3
                continue
            if key not in _FIXED:
                raise ParseError(f"unknown command {bytes(key)!r} at offset {i}")
            nparam = _FIXED[key]
            params = data[i + 2:i + 2 + nparam]
            if len(params) != nparam:
                raise ParseError(f"truncated command at {i}")
            if key == (FS, ord("&")):
                flush_text()
                kanji = True
            elif key == (FS, ord(".")):
                flush_text()
                kanji = False
            else:
                flush_text()
                kind = {(GS, 0x0C): "feed_label", (DLE, 0x04): "status_query"}.get(key, "cmd")
                ops.append(Op(kind, bytes(data[i:i + 2 + nparam])))
            i += 2 + nparam
            continue
        if b < 0x20 and b not in (0x0A, 0x0D, 0x09):
            raise ParseError(f"stray control byte 0x{b:02x} at offset {i}")
        text.append(b)
        i += 1
    flush_text()
    return ops


def texts(ops: list[Op]) -> str:
    return "".join(o.data for o in ops if o.kind == "text")


def raster_to_image(op: Op):
    from PIL import Image

    w = op.args["width_bytes"] * 8
    h = op.args["height"]
    # ESC/POS raster: 1 = black; PIL mode "1" raw: 1 = white
    inv = bytes(255 - x for x in op.data)
    return Image.frombytes("1", (w, h), inv)


def _barcode_image(op: Op, module: int, height: int, dots: int, font):
    """A CODE128 as the printer draws it: `module` dots a bar module, as many modules as the data makes, the text
    below. One wider than the printable dots is printed by no Epson-compatible printer: drawn as a flagged empty
    box, never shrunk to fit (the preview did, and hid the labels that came out without a barcode)."""
    from PIL import Image, ImageDraw

    from hardware.printing import code128

    img = Image.new("L", (dots, height + 30), 255)
    d = ImageDraw.Draw(img)
    if op.args.get("m") != 73:  # our labels send only CODE128
        d.text((10, 10), f"[barcode type {op.args.get('m')}: not drawn]", font=font, fill=0)
        return img
    text, values = code128.read_escpos(op.data)
    pattern = code128.bars(values)
    need = len(pattern) * module
    if need > dots:
        d.rectangle((0, 0, dots - 1, height - 1), outline=0, width=3)
        d.text((10, 10), f"NO BARCODE: {need} dots > {dots}", font=font, fill=0)
        d.text((10, 40), text, font=font, fill=0)
        return img
    x0 = (dots - need) // 2
    for i, bit in enumerate(pattern):
        if bit == "1":
            d.rectangle((x0 + i * module, 0, x0 + (i + 1) * module - 1, height - 1), fill=0)
    d.text(((dots - d.textlength(text, font=font)) / 2, height + 2), text, font=font, fill=0)
    return img


def render_png(data: bytes, dots: int = 576):
    """A PIL image approximating what a printer would print from `data`."""
    from PIL import Image, ImageDraw

    from hardware.printing import chinese

    ops = parse(data)
    parts: list[Any] = []
    try:
        font = chinese._pil_font(22)
    except chinese.NoCjkFont:
        from PIL import ImageFont

        font = ImageFont.load_default()
    pending = ""
    bar_width, bar_height = 3, 162  # GS w / GS h after ESC @ (Epson defaults)

    def flush() -> None:
        nonlocal pending
        if pending:
            body = pending[:-1] if pending.endswith("\n") else pending
            parts.extend(("text", ln) for ln in body.split("\n"))
            pending = ""

    for op in ops:
        if op.kind == "text":
            pending += op.data  # runs in and out of Chinese mode make one printed line
            continue
        flush()
        if op.kind == "cmd" and op.data[:2] == b"\x1dw":
            bar_width = op.data[2]
        elif op.kind == "cmd" and op.data[:2] == b"\x1dh":
            bar_height = op.data[2]
        elif op.kind == "image":
            parts.append(("img", raster_to_image(op)))
        elif op.kind == "barcode":
            parts.append(("img", _barcode_image(op, bar_width, bar_height, dots, font)))
        elif op.kind == "qr":
            import qrcode

            q = qrcode.QRCode(box_size=max(2, op.args.get("size", 3)), border=2)
            q.add_data(op.data.decode("utf-8", "replace"))
            q.make(fit=True)
            parts.append(("img", q.make_image().get_image()))
        elif op.kind in ("cut", "feed_label"):
            parts.append(("cut", None))
    flush()
    line_h = 28
    height = 10
    for kind, v in parts:
        height += line_h if kind in ("text", "cut") else v.height + 4
    img = Image.new("L", (dots, max(height, 40)), 255)
    d = ImageDraw.Draw(img)
    y = 5
    for kind, v in parts:
        if kind == "text":
            d.text((4, y), v, font=font, fill=0)
            y += line_h
        elif kind == "cut":
            for x in range(0, dots, 12):
                d.line((x, y + 14, x + 6, y + 14), fill=120)
            y += line_h
        else:
            im = v.convert("L")
            if im.width > dots:
                im = im.resize((dots, int(im.height * dots / im.width)))
            img.paste(im, ((dots - im.width) // 2, y))
            y += im.height + 4
    return img
