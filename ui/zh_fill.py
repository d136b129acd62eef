"""Maintainer tool: fills the Simplified Chinese translations into resources/i18n/packstation_zh_CN.ts after
`pyside6-lupdate ui/*.py ui/screens/*.py -ts resources/i18n/packstation_zh_CN.ts`. Run: python -m ui.zh_fill.
A test fails if a visible string has no translation."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ui.translations import I18N

ZH = {
    "ACKNOWLEDGE (or scan again)": "确认（或再扫一次）", "Acknowledged — carry on.": "已确认 — 继续。",
    "All lines done: complete the step [F10]": "全部行已完成：完成此步骤 [F10]", "Badge": "工牌",
    "Badge and PIN are both needed.": "需要工牌和密码。", "Badge or PIN not recognised.": "工牌或密码不正确。",
    "Badges / PINs: {0}": "工牌 / 密码：{0}", "Bin": "库位", "CLOCK OFF BY {0} s": "时钟偏差 {0} 秒",
    "Camera": "摄像头", "Carrier": "承运商", "Check again": "重新检查", "Colour / size": "颜色 / 尺码",
    "Complete step [F10]": "完成步骤 [F10]", "Confirm gift [F3]": "确认赠品 [F3]",
    "Cut the network (go offline)": "断开网络（离线）", "DONE": "完成", "Damaged": "破损",
    "Demo: virtual scanner": "演示：虚拟扫描枪", "FRAGILE": "易碎", "GIFT": "赠品",
    "Gift/insert confirmed: {0}": "赠品/附件已确认：{0}", "Insufficient stock": "库存不足", "Item": "商品",
    "LABEL": "贴面单", "Label and slip sent to the printers.": "面单和装箱单已发送到打印机。",
    "Label blocked": "面单被阻止", "Label printer": "面单打印机", "Label printer: take the paper out": "面单打印机：取出纸张",
    "Labels print at the LABEL step.": "面单在贴面单步骤打印。", "Leave the station application": "退出工位程序",
    "Lines": "行数", "Log in": "登录", "Network is CUT — click to restore": "网络已断开 — 点击恢复",
    "No open order with barcode {0}": "没有条码为 {0} 的待处理订单",
    "Not a supervisor badge/PIN: nothing overridden.": "不是主管工牌/密码：未放行。", "Not found": "找不到",
    "Notes": "备注", "Nothing printed yet for this order.": "此订单尚未打印。",
    "OFFLINE — working from cache": "离线 — 使用本地缓存工作", "OMS connection": "OMS 连接", "ONLINE": "在线",
    "ORDER STOPPED by the OMS ({0}): {1} — do not ship.": "订单已被 OMS 拦截（{0}）：{1} — 不要发货。",
    "Only a supervisor can leave the station.": "只有主管可以退出工位程序。", "Open order": "打开订单",
    "Open orders — scan an order barcode or choose one": "待处理订单 — 扫描订单条码或选择一个", "Order": "订单",
    "Order {0} done.": "订单 {0} 已完成。", "Override weight mismatch / force line": "放行重量不符 / 强制完成行",
    "PACK": "打包", "PICK": "拣货", "PIN": "密码", "PRINTER: {0}": "打印机：{0}",
    "Print label + slip [F9]": "打印面单和装箱单 [F9]", "Printing failed: {0}": "打印失败：{0}",
    "Put the parcel on the scale": "把包裹放到秤上", "Qty": "数量", "Quantity found": "找到的数量", "Reason": "原因",
    "Record weight [F8]": "记录重量 [F8]", "Reprint": "重打", "Reprint [F12]": "重打 [F12]",
    "Reprint queued (audited).": "重打已排队（已记录审计）。", "SHORT": "缺货", "SKU": "SKU", "Scale": "电子秤",
    "Scan your badge, then type your PIN": "请扫描工牌，然后输入密码", "Scanner": "扫描枪", "Ship to": "收货人",
    "Short pick": "缺货拣货", "Short pick [F2]": "缺货 [F2]", "Short pick recorded: {0}": "已记录缺货：{0}",
    "Slip printer": "装箱单打印机",
    "Something went wrong and was logged; the station keeps running: {0}": "出现错误，已记录日志；工位继续运行：{0}",
    "Start work": "开始工作", "Station check": "工位检查", "Status": "状态", "Supervisor [F11]": "主管 [F11]",
    "Supervisor approval": "主管审批", "Supervisor badge": "主管工牌", "Supervisor override recorded.": "主管放行已记录。",
    "Undo last scan [F4]": "撤销上次扫描 [F4]", "Units": "件数", "VERIFY": "复核", "WEIGH": "称重",
    "Wait for a stable weight on the scale.": "请等待秤上重量稳定。", "Weight OK": "重量正确",
    "Weight {0} g is outside {1} ± {2} g: check the parcel or ask a supervisor.": "重量 {0} 克超出 {1} ± {2} 克：请检查包裹或找主管。",
    "Why reprint? (recorded)": "为什么重打？（会被记录）", "Wrong item in location": "库位商品错误",
    "checking…": "检查中…", "last sync {0} s ago": "上次同步 {0} 秒前", "never synced": "从未同步", "no image": "无图片",
    "not logged in": "未登录", "packer": "打包员", "picker": "拣货员", "printed labels appear here": "打印的面单显示在这里",
    "printers OK": "打印机正常", "scale: no reading": "电子秤：无读数", "supervisor": "主管",
    "sync: not available": "同步：不可用", "to sync: {0}": "待同步：{0}", "— choose carton —": "— 选择箱型 —",
    "order": "订单", "bin": "库位", "wrong colour/size": "错误颜色/尺码", "unknown barcode": "未知条码",
    "expected": "应为", "oldest": "最早", "Supervisor figures": "主管统计",
    "Time": "时间", "Station": "工位", "Operator": "操作员", "Error": "错误", "Scanned": "扫描到", "Expected": "应为",
    "station": "工位", "operator": "操作员", "This station": "本工位", "All stations (OMS)": "全部工位（OMS）",
    "Refresh": "刷新", "Report (PDF + CSV)": "报告（PDF + CSV）",
    "Supervisors only: log in with a supervisor badge to see the figures.": "仅限主管：请用主管工牌登录查看统计。",
    "loading all stations' figures from the OMS…": "正在从 OMS 读取全部工位统计…",
    "This station's own log (works offline).": "本工位自己的日志（离线可用）。",
    "OMS unreachable — showing this station only.": "无法连接 OMS — 仅显示本工位。",
    "All stations, from the OMS. The latest-errors table shows this station only.": "全部工位，来自 OMS。最新错误表仅显示本工位。", "scans {0} · orders {1} · errors {2}": "扫描 {0} · 订单 {1} · 错误 {2}",
    "Errors by hour": "按小时错误", "Error types": "错误类型", "Step time, minutes (median, p90, SLA)": "步骤用时（分钟：中位数、P90、SLA）",
    "median": "中位数", "p90": "P90", "SLA": "SLA", "writing the report…": "正在生成报告…",
    "Report failed: {0}": "报告失败：{0}", "Report written: {0}": "报告已生成：{0}",
    # station controller screens (floor/)
    "bag": "袋子", "Accept": "放行", "Back to queue [Esc]": "返回订单列表 [Esc]", "Cancel [Esc]": "取消 [Esc]",
    "Label damaged": "面单损坏", "Label lost": "面单丢失", "Label unreadable": "面单无法识别",
    "Log out [Ctrl+L]": "退出登录 [Ctrl+L]", "Reprint: why? (recorded)": "重打：原因？（会被记录）",
    "Wrong printer": "打印机错误",
}

# kiosk (issue 13): supervisor charts, station sheet, sound, camera, layout
ZH.update({
    "updating…": "正在更新…", "The figures could not be computed: {0}": "无法计算统计：{0}",
    "Wrong item": "错误商品", "Wrong colour/size": "颜色/尺码错误", "Other order's item": "其他订单的商品",
    "Too many": "数量超出", "Unknown barcode": "未知条码", "Unreadable": "无法识别", "Wrong bin": "库位错误",
    "Wrong lot": "批号错误", "Expired lot": "批号过期", "No order open": "未打开订单", "Lot missing": "缺少批号",
    "Serial missing": "缺少序列号", "Serial twice": "序列号重复", "Stopped order": "被拦截订单",
    "Action barcode": "操作条码", "Short: no stock": "缺货：库存不足", "Short: wrong item in bin": "缺货：库位商品错误",
    "Short: damaged": "缺货：破损", "Short: not found": "缺货：找不到", "Weight override": "重量放行",
    "Printer fault": "打印机故障", "Pick": "拣货", "Verify": "复核", "Pack": "打包", "Weigh": "称重", "Label": "贴面单",
    "errors": "错误", "hour": "小时", "no errors": "无错误",
    "Step time, minutes (median, p90; SLA line)": "步骤用时（分钟；中位数、P90；红线为 SLA）",
    "Step time, seconds (median, p90; SLA line)": "步骤用时（秒；中位数、P90；红线为 SLA）",
    "Complete the step": "完成此步骤", "Reprint the label": "重打面单", "Log out": "退出登录",
    "Undo the last scan": "撤销上次扫描", "Acknowledge the error": "确认错误", "Confirm the gift/insert": "确认赠品/附件",
    "Record the weight": "记录重量", "Print label and slip": "打印面单和装箱单", "Supervisor override": "主管放行",
    "Back": "返回", "Cancel": "取消", "Short: insufficient stock": "缺货：库存不足",
    "Short: wrong item in the bin": "缺货：库位商品错误", "Reprint: label damaged": "重打：面单破损",
    "Reprint: label unreadable": "重打：面单无法扫描", "Reprint: label lost": "重打：面单丢失",
    "Reprint: wrong printer": "重打：打印机错误", "Carton {0}": "箱型 {0}", "Station sheet": "工位操作条码表",
    "Actions": "操作", "Cartons": "箱型", "Short-pick reasons": "缺货原因", "Reprint reasons": "重打原因",
    "Camera: waiting for a picture…": "摄像头：等待画面…", "Speaker": "扬声器",
    "no audio output device: the OK and error sounds cannot be heard": "没有音频输出设备：听不到正确和错误提示音",
    "sounds play on: {0}": "提示音播放设备：{0}", "camera {0} could not be set up (see the log)": "摄像头 {0} 无法设置（见日志）",
    "camera {0} delivers pictures": "摄像头 {0} 画面正常", "camera {0} is open but sends no pictures": "摄像头 {0} 已打开但没有画面",
    "camera {0} sends no pictures": "摄像头 {0} 没有画面", "Show the item to the camera": "把商品放到摄像头下",
    "Hide or show the demo panel": "隐藏或显示演示面板",
    "open": "待处理", "claimed": "已领取", "in progress": "处理中", "done": "已完成", "cancelled": "已取消",
    "held": "已暂停", "standard": "标准", "express": "加急", "economy": "经济", "same day": "当日达",
    "label damaged": "面单破损", "label unreadable": "面单无法扫描", "label lost": "面单丢失", "wrong printer": "打印机错误",
})


def fill(path=I18N / "packstation_zh_CN.ts") -> list[str]:
    tree = ET.parse(path)
    missing = []
    for msg in tree.iter("message"):
        src = msg.findtext("source")
        tr = msg.find("translation")
        if src in ZH:
            tr.text = ZH[src]
            tr.attrib.pop("type", None)
        else:
            missing.append(src)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return missing


if __name__ == "__main__":
    print("missing:", fill())
