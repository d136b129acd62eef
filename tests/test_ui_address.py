"""The ship-to on the work screen is what a packer checks the label against (a wrong address: 2.1 per thousand orders,
FIELD.md). A long Chinese address — building, room, a delivery note — must be read whole, at a size read from a step
away, on the station's displays down to 960×540; no mouse, so a tooltip is no answer."""

from __future__ import annotations

import dataclasses

import pytest

from app.address import address_one_line
from tests.layout import set_display
from tests.test_ui_floor import login, open_order, station  # noqa: F401 (fixture)
from tests.test_ui_floor_defects import simple
from tests.test_ui_layout import fits

# 111 characters as the screen shows it, name and postcode included: a real-world shape (a campus, a building, a room
# and the customer's note on when to deliver)
LONG_CN = dict(name="欧阳晓明", phone="13800138000", country="CN", region="广东省", city="深圳市", postcode="518057",
               address_lines=("南山区粤海街道科技园南区高新南七道深圳湾科技生态园十栋B座二十三楼2301室（前台代收）",
                              "工作日九点至十八点收货，周末及节假日请勿派送，到了请先打电话给我，谢谢"))
READ_PX = {False: 17, True: 14}  # the smallest size the address is drawn at (usual boxes, compact ones)


@pytest.mark.parametrize("size", [(1024, 768), (960, 540), (1024, 600)], ids=["1024x768", "960x540", "1024x600"])
def test_a_long_chinese_address_is_read_whole_on_the_work_screen(qtbot, station, size):  # noqa: F811
    win, svc = station(language="zh_CN")
    set_display(win, size)
    login(qtbot, win)
    s = open_order(qtbot, win, svc, want=simple)
    ship_to = dataclasses.replace(s.picklist.ship_to, **LONG_CN)
    s.picklist = dataclasses.replace(s.picklist, ship_to=ship_to)
    win.work._show_order(s)
    qtbot.wait(50)
    label = win.work.ship_label
    address = address_one_line(ship_to)
    assert address in label.text() and len(label.text()) >= 105
    assert label.fits(), f"{label.width()}x{label.height()} px at {label.fitted_px()} px"
    assert label.fitted_px() >= READ_PX[win.work.compact], (label.fitted_px(), label.height())
    fits(win, size, "a long address")  # and nothing else is pushed off or clipped for it
    assert win.work.table.height() >= 120
    # the next order's short address gives the room back
    short = dataclasses.replace(ship_to, address_lines=("科技园南区",))
    s.picklist = dataclasses.replace(s.picklist, ship_to=short)
    win.work._show_order(s)
    qtbot.wait(50)
    assert label.height() == win.work.SIZES["ship"][win.work.compact]
