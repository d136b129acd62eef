"""Operator messages, English and Simplified Chinese. One key per situation; `text(key, **kw)`
returns (en, zh). Keep them short: they are read at arm's length on a pack-station screen."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

MESSAGES: dict[str, tuple[str, str]] = {
    "accepted": ("{name} {variant} +{qty} ({scanned}/{required})", "{name} {variant} +{qty}（{scanned}/{required}）"),
    "accepted_line_done": ("{name} {variant}: line complete ({scanned}/{required})",
                           "{name} {variant}：本行已完成（{scanned}/{required}）"),
    "accepted_order_done": ("{name}: all lines complete — finish the step",
                            "{name}：全部商品已完成，请完成本步骤"),
    "gift_scanned": ("Gift/insert {name} confirmed", "赠品/附件 {name} 已确认"),
    "over_scan": ("Too many: {name} needs {required}, already {scanned}. Put this one back.",
                  "数量超出：{name} 需要 {required} 件，已扫 {scanned} 件。请放回这一件。"),
    "over_scan_pack": ("{name} is already fully counted", "{name} 已全部核对"),
    "wrong_item": ("Wrong item: {sku} {name} is not on this order", "错误商品：{sku} {name} 不在本订单中"),
    "sibling_variant": ("Wrong variant: you scanned {scanned_variant}, the order wants {wanted_variant} ({name})",
                        "款式颜色/尺码错误：您扫描的是 {scanned_variant}，订单需要 {wanted_variant}（{name}）"),
    "other_order": ("This item belongs to another open order: {other}", "该商品属于另一个已打开的订单：{other}"),
    "unknown": ("Unknown barcode {code}: not in this order or the catalogue", "未知条码 {code}：不在本订单或商品库中"),
    "unreadable_empty": ("Nothing readable was scanned — scan again", "扫描内容无法识别，请重新扫描"),
    "unreadable_check": ("Barcode {code} is misread (check digit wrong) — scan again",
                         "条码 {code} 读取错误（校验位不符），请重新扫描"),
    "unreadable_gs1": ("GS1 barcode could not be read: {detail}", "GS1 条码无法解析：{detail}"),
    "unreadable_long": ("Scan too long to be a barcode — scan again", "扫描内容过长，不是有效条码，请重新扫描"),
    "unreadable_internal": ("This scan could not be checked — scan again or call a supervisor",
                            "无法校验此次扫描，请重新扫描或联系主管"),
    "lot_required": ("{name} needs its lot: scan the GS1 barcode with the lot number",
                     "{name} 需要批号：请扫描带批号的 GS1 条码"),
    "wrong_lot": ("Wrong lot {lot} for {name} (allowed: {allowed})", "{name} 批号 {lot} 错误（允许：{allowed}）"),
    "expired_lot": ("Lot {lot} of {name} expires {expiry}: too short-dated, take another",
                    "{name} 批号 {lot} 有效期至 {expiry}：效期不足，请换一件"),
    "serial_required": ("{name} needs its serial number: scan the barcode with the serial (S/N)",
                        "{name} 需要序列号：请扫描带序列号（S/N）的条码"),
    "duplicate_serial": ("Serial {serial} of {name} was already scanned: this is the same unit",
                         "{name} 序列号 {serial} 已扫描过：这是同一件商品"),
    "no_order": ("No order is open — scan the order barcode first", "没有打开的订单，请先扫描订单条码"),
    "intercepted": ("STOP: order {order} is {status}: {reason}. Do not ship.",
                    "停止：订单 {order} 已{status_zh}：{reason}。请勿发货。"),
    "order_selected": ("Order {order} selected", "已选择订单 {order}"),
    "bin_confirmed": ("Bin {bin} confirmed", "库位 {bin} 已确认"),
    "wrong_bin": ("Wrong bin {bin}: go to {wanted}", "库位 {bin} 错误：请前往 {wanted}"),
    "action_undo": ("Undone: {name} -{qty}", "已撤销：{name} -{qty}"),
    "action_undo_nothing": ("Nothing to undo", "没有可撤销的扫描"),
    "action_complete": ("Step {step} complete, next: {next}", "{step} 步骤已完成，下一步：{next}"),
    "action_blocked": ("Cannot complete {step}: {reasons}", "无法完成 {step}：{reasons}"),
    "action_short": ("Short pick: choose a reason", "缺货拣货：请选择原因"),
    "action_reprint": ("Reprint requested", "已请求重新打印"),
    "action_logout": ("Logging out", "正在退出登录"),
    "action_ack": ("Error acknowledged", "错误已确认"),
    "action_unknown": ("Unknown action barcode {code}", "未知操作条码 {code}"),
    "action_complete_request": ("Complete the step", "完成本步骤"),
    "action_gift": ("Confirm the gift/insert", "确认赠品/附件"),
    "action_record": ("Record the weight", "记录重量"),
    "action_print": ("Print label and slip", "打印面单和装箱单"),
    "action_override": ("Supervisor override: scan a supervisor badge", "主管授权：请扫描主管工牌"),
    "action_back": ("Back", "返回"),
    "action_cancel": ("Cancelled", "已取消"),
    "action_carton": ("Carton chosen", "已选择纸箱"),
    "step_not_scanning": ("Scans are not counted in step {step}", "当前步骤 {step} 不计扫描数量"),
}

STATUS_ZH = {"cancelled": "取消", "held": "暂停/拦截", "intercepted": "拦截"}


def text(key: str, **kw: object) -> tuple[str, str]:
    """(en, zh) for `key` filled with `kw`. A missing key or field never raises: it logs and
    falls back to the bare key so the operator still sees something."""
    en, zh = MESSAGES.get(key, (key, key))
    kw.setdefault("status_zh", STATUS_ZH.get(str(kw.get("status", "")), str(kw.get("status", ""))))
    try:
        return _squash(en.format(**kw)), _squash(zh.format(**kw))
    except (KeyError, IndexError, ValueError) as exc:
        log.error("message %s: cannot format with %s: %s", key, sorted(kw), exc)
        return key, key


def _squash(s: str) -> str:
    return " ".join(s.split())
