"""The printable station sheet: every action, short-pick reason, reprint reason and carton of app/actions.py as a
Code 128 barcode that a scanner reads back into the same action, labelled in English and Chinese, fonts embedded."""

import subprocess

import zxingcpp

from app.actions import ACTIONS, ARG_ACTIONS, parse_action
from tests.conftest import run_cli


def _every_code():
    codes = {"@@" + name for name in ACTIONS}
    for name, (_action, allowed) in ARG_ACTIONS.items():
        codes |= {f"@@{name}:{a.upper()}" for a in allowed}
    return codes


def test_the_station_sheet_scans_back_into_every_action_in_both_languages(tmp_path):
    from hardware.printing.slip import pdf_pages

    out = tmp_path / "sheet.pdf"
    r = run_cli("station-sheet", "--out", str(out))
    assert r.returncode == 0, r.stderr
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    decoded = []
    for page in pdf_pages(pdf, dpi=200):  # pdftoppm, as a printer would see it
        decoded += [b.text for b in zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.Code128)]
    assert sorted(decoded) == sorted(set(decoded)), "a barcode printed twice"
    assert set(decoded) == _every_code()
    assert all(parse_action(t) is not None for t in decoded)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for en, zh in (("Complete the step", "完成此步骤"), ("Short: damaged", "缺货：破损"),
                   ("Reprint: label lost", "重打：面单丢失"), ("Carton M (30×20×15)", "纸箱 M (30×20×15)"),
                   ("Station sheet", "工位操作条码表")):
        assert en in text and zh in text, (en, zh)
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts
    assert any("DroidSans" in f or "CJK" in f for f in fonts)
