"""What the station says, in the packer's words (English and Simplified Chinese). Never a raw code."""

from __future__ import annotations

from app.workflow import OrderSession, Step
from floor.changes import Feedback, Level, PutBack

STEP_NAMES: dict[Step, tuple[str, str]] = {
    Step.PICK: ("Pick", "拣货"),
    Step.VERIFY: ("Check", "复核"),
    Step.PACK: ("Pack", "包装"),
    Step.WEIGH: ("Weigh", "称重"),
    Step.LABEL: ("Label", "面单"),
    Step.DONE: ("Done", "完成"),
}

SHORT_REASON_NAMES: dict[str, tuple[str, str]] = {
    "insufficient_stock": ("Insufficient stock", "库存不足"),
    "wrong_item_in_location": ("Wrong item in location", "库位商品错误"),
    "damaged": ("Damaged", "破损"),
    "not_found": ("Not found", "未找到"),
}

REPRINT_REASON_NAMES: dict[str, tuple[str, str]] = {
    "damaged": ("Label damaged", "面单损坏"),
    "unreadable": ("Label unreadable", "面单无法识别"),
    "lost": ("Label lost", "面单丢失"),
    "wrong_printer": ("Printed on the wrong printer", "打印到错误的打印机"),
}

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "cancelled": ("cancelled", "已取消"),
    "held": ("put on hold", "被暂停"),
    "claimed_elsewhere": ("given to another station", "已分配给其他工作站"),
}


def say(level: Level, en: str, zh: str) -> Feedback:
    return Feedback(level, en, zh)


def step_name(step: Step | None, language: str = "en") -> str:
    if step is None:
        return ""
    en, zh = STEP_NAMES.get(step, (str(step), str(step)))
    return zh if language.startswith("zh") else en


def status_words(status: str) -> tuple[str, str]:
    return STATUS_WORDS.get(status, ("stopped", "已停止"))


def put_back_list(session: OrderSession) -> tuple[PutBack, ...]:
    """Every unit taken for this order so far, with the bin it goes back to."""
    out = []
    for ln in session.picklist.walking_order():
        taken = max((session.step_progress(s)[ln.id].scanned for s in session.counting_steps), default=0)
        if taken > 0:
            out.append(PutBack(qty=taken, sku=ln.sku, name=ln.name, variant=ln.variant, bin=ln.bin or "-"))
    return tuple(out)


def stop_message(session: OrderSession) -> Feedback:
    status = session.intercepted[0] if session.intercepted else "cancelled"
    en_st, zh_st = status_words(status)
    no = session.picklist.order_no
    back = put_back_list(session)
    if back:
        en_items = "; ".join(f"{p.qty} × {p.sku} {p.name} {p.variant} → bin {p.bin}".replace("  ", " ") for p in back)
        zh_items = "；".join(f"{p.qty} × {p.sku} {p.name} {p.variant} → 库位 {p.bin}".replace("  ", " ") for p in back)
        en = f"STOP: order {no} was {en_st}. Do not pack it. Put back: {en_items}. Then press Esc."
        zh = f"停止：订单 {no} {zh_st}，请勿包装。请放回：{zh_items}。然后按 Esc。"
    else:
        en = f"STOP: order {no} was {en_st}. Nothing was taken yet: put the pick list aside and press Esc."
        zh = f"停止：订单 {no} {zh_st}。尚未拣取商品：请把拣货单放到一边，然后按 Esc。"
    return Feedback(Level.STOP, en, zh)


def blockers(session: OrderSession, language: str = "en") -> list[str]:
    """What the current step still needs, as a packer reads it."""
    zh = language.startswith("zh")

    def t(en: str, cn: str) -> str:
        return cn if zh else en

    if session.intercepted:
        return [stop_message(session).text(language)]
    step = session.step
    if step is None or step == Step.DONE:
        return []
    out: list[str] = []
    if step in session.counting_steps:
        prog = session.step_progress(step)
        missing = [ln for ln in session.picklist.walking_order() if not prog[ln.id].complete]
        for ln in missing[:5]:
            p = prog[ln.id]
            left = p.required - p.short_qty - p.scanned
            name = f"{ln.sku} {ln.name} {ln.variant}".strip().replace("  ", " ")
            out.append(t(f"scan {left} more × {name}", f"还需扫描 {left} × {name}"))
        if len(missing) > 5:
            out.append(t(f"… and {len(missing) - 5} more lines", f"……还有 {len(missing) - 5} 行"))
    if step == Step.PACK:
        if not session.carton:
            out.append(t("choose a carton (keys 1–5 or a carton barcode)", "请选择纸箱（按 1–5 或扫描纸箱条码）"))
        for ln in session.picklist.walking_order():
            if ln.gift and not session.gift_ok(ln.id):
                out.append(t(f"put in the gift/insert {ln.name or ln.sku}: scan it or press F3",
                             f"放入赠品/附件 {ln.name or ln.sku}：扫描或按 F3"))
    if step == Step.WEIGH:
        w = session.weight
        if w is None:
            out.append(t("put the parcel on the scale, wait for a steady weight, press F8",
                         "将包裹放上秤，等待读数稳定后按 F8"))
        elif not w.ok and not session.weight_overridden:
            out.append(t(f"the weight {w.grams:.0f} g is outside {w.expected_g or 0:.0f} ± {w.tolerance_g or 0:.0f} g: "
                         "check the parcel, or a supervisor accepts it (F11)",
                         f"重量 {w.grams:.0f} 克超出 {w.expected_g or 0:.0f} ± {w.tolerance_g or 0:.0f} 克："
                         "请检查包裹，或由主管放行（F11）"))
    if step == Step.LABEL and not session.label_printed:
        out.append(t("print the label and the slip (F9)", "打印面单和装箱单（F9）"))
    return out
