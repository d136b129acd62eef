"""A built-in demo pick list (English and Chinese lines, a gift and a fragile line) for
`packstation print-test` and the benchmarks."""

from __future__ import annotations

from app.picklist import PickList

DEMO_DOC = {
    "id": "DEMO-0001",
    "order_no": "SO-2026-000123",
    "carrier": "SF Express 顺丰",
    "service": "Standard 标快",
    "ship_to": {
        "name": "王小明 Wang Xiaoming",
        "phone": "138-0000-0000",
        "address_lines": ["上海市浦东新区世纪大道１００号，８楼。", "Room 801"],
        "city": "上海", "region": "上海市", "postcode": "200120", "country": "CN",
    },
    "lines": [
        {"id": "1", "sku": "TS-RED-M", "name": "棉质T恤 Cotton T-shirt", "qty": 2, "color": "红色 Red",
         "size": "M", "image_url": "https://cdn.example/img/ts-red.jpg", "barcodes": ["6901234567892"]},
        {"id": "2", "sku": "MUG-01", "name": "Ceramic mug 陶瓷杯", "qty": 1, "color": "White", "fragile": True,
         "image_url": "https://cdn.example/img/mug.jpg", "barcodes": ["4006381333931"]},
        {"id": "3", "sku": "GIFT-CARD", "name": "感谢卡：谢谢惠顾！￥０", "qty": 1, "gift": True,
         "image_url": "https://cdn.example/img/card.jpg"},
    ],
}


def demo_picklist() -> PickList:
    return PickList.from_dict(DEMO_DOC)
