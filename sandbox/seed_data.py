"""The training company's starting state: 上海恒远商贸有限公司, a Shanghai trading and
light-manufacturing company. Plain data, identical for every sandbox (deterministic).

Amounts exclude VAT (13 %) unless a name says otherwise.
"""

from __future__ import annotations

from decimal import Decimal as D

SEED_VERSION = 1
COMPANY_NAME = "上海恒远商贸有限公司"
# The business date every sandbox starts on: documents and ageing are relative to it.
SEED_TODAY = "2026-11-02"

PARAMETERS = {
    "credit_check": "on",  # orders beyond the customer's remaining credit need approval
    "purchase_approval_threshold": "50000.00",  # POs above this (excl. VAT) need approval
    "allow_self_approval": "off",  # approving a document one created oneself
    "vat_rate": "13",
    "reorder_alert": "on",
}

ROLES = [
    ("sales_clerk", "销售员"), ("sales_manager", "销售经理"), ("buyer", "采购员"),
    ("purchasing_manager", "采购经理"), ("warehouse_keeper", "仓管员"),
    ("accountant", "会计"), ("finance_manager", "财务经理"),
    ("general_manager", "总经理"), ("it_admin", "系统管理员"),
]

# code, name, title, portal job role, sandbox role
USERS = [
    ("sales_clerk", "林小燕", "销售部 销售员", "sales", "sales_clerk"),
    ("sales_manager", "郑国强", "销售部 经理", "sales", "sales_manager"),
    ("buyer", "何建华", "采购部 采购员", "purchasing", "buyer"),
    ("purchasing_manager", "马丽", "采购部 经理", "purchasing", "purchasing_manager"),
    ("warehouse_keeper", "高峰", "仓储物流部 仓管员", "warehouse", "warehouse_keeper"),
    ("accountant", "吴芳芳", "财务部 会计", "finance", "accountant"),
    ("finance_manager", "许静", "财务部 经理", "finance", "finance_manager"),
    ("general_manager", "杨振华", "总经理", "management", "general_manager"),
    ("it_admin", "钱明", "信息技术部 系统管理员", "it_support", "it_admin"),
]

WAREHOUSES = [
    ("WH-SH", "上海总仓", "上海"),
    ("WH-KS", "昆山分仓", "昆山"),
]

# code, name, city, contact, phone, tier, credit limit, payment terms (days)
CUSTOMERS = [
    ("C0001", "上海瑞丰五金机电有限公司", "上海", "陈立伟", "021-5468 1203", "A", D("500000"), 60),
    ("C0002", "苏州华晟电子科技有限公司", "苏州", "沈佳怡", "0512-6578 3321", "A", D("400000"), 60),
    ("C0003", "杭州中诚建材贸易有限公司", "杭州", "王海涛", "0571-8823 4410", "B", D("200000"), 45),
    ("C0004", "南京金陵办公设备有限公司", "南京", "李文静", "025-8465 1187", "B", D("150000"), 45),
    ("C0005", "无锡恒通包装材料有限公司", "无锡", "周德明", "0510-8211 6645", "B", D("120000"), 30),
    ("C0006", "宁波海联进出口有限公司", "宁波", "孙晓峰", "0574-8730 9902", "A", D("300000"), 60),
    ("C0007", "上海锦程酒店用品有限公司", "上海", "赵雅琴", "021-6235 7788", "C", D("50000"), 30),
    ("C0008", "嘉兴百盛超市有限公司", "嘉兴", "钱俊杰", "0573-8209 4456", "C", D("80000"), 30),
    ("C0009", "常州天宇机械制造有限公司", "常州", "吴建国", "0519-8698 2231", "B", D("180000"), 45),
    ("C0010", "合肥新源电器有限公司", "合肥", "郑丽华", "0551-6375 8890", "B", D("100000"), 45),
    ("C0011", "上海明德学校后勤服务中心", "上海", "冯志刚", "021-5763 1120", "C", D("30000"), 30),
    ("C0012", "昆山精工模具有限公司", "昆山", "蒋春燕", "0512-5776 3304", "B", D("150000"), 45),
    ("C0013", "绍兴纺城家纺有限公司", "绍兴", "韩明辉", "0575-8512 6673", "C", D("60000"), 30),
    ("C0014", "南通海安物流有限公司", "南通", "杨秀英", "0513-8877 1209", "C", D("40000"), 30),
    ("C0015", "上海东方会展服务有限公司", "上海", "朱振宇", "021-6879 4501", "B", D("120000"), 45),
    ("C0016", "扬州润扬照明电器有限公司", "扬州", "秦慧敏", "0514-8733 5028", "B", D("100000"), 45),
    ("C0017", "温州鹿城五金城经营部", "温州", "许国平", "0577-8821 6639", "C", D("50000"), 30),
    ("C0018", "上海浦江物业管理有限公司", "上海", "何丽萍", "021-5088 2347", "C", D("60000"), 30),
    ("C0019", "泰州春晖电子有限公司", "泰州", "吕永强", "0523-8622 9071", "B", D("90000"), 45),
    ("C0020", "湖州安吉竹木制品有限公司", "湖州", "施美玲", "0572-5126 3385", "C", D("40000"), 30),
]

# code, name, city, contact, phone, lead time, payment terms, quality, delivery, price
SUPPLIERS = [
    ("S001", "宁波永固紧固件有限公司", "宁波", "陆志明", "0574-8651 2201", 7, 30, 92, 88, 80),
    ("S002", "苏州恒力包装制品有限公司", "苏州", "顾晓红", "0512-6552 1870", 5, 30, 85, 90, 86),
    ("S003", "深圳华芯电子元器件有限公司", "深圳", "黄伟", "0755-8362 7745", 10, 45, 95, 76, 72),
    ("S004", "上海晨光文具批发部", "上海", "邱丽娟", "021-6431 5506", 3, 30, 80, 94, 90),
    ("S005", "温州正泰电工配件厂", "温州", "林永福", "0577-6271 3398", 8, 30, 78, 70, 92),
    ("S006", "常州金源塑胶有限公司", "常州", "丁建平", "0519-8511 2678", 6, 30, 88, 84, 84),
    ("S007", "东莞精密五金制品有限公司", "东莞", "罗海燕", "0769-8272 4431", 12, 45, 90, 72, 78),
    ("S008", "杭州绿源纸业有限公司", "杭州", "金晓东", "0571-8691 3320", 5, 30, 82, 86, 88),
    ("S009", "无锡宏达线缆有限公司", "无锡", "曹志华", "0510-8521 7764", 7, 30, 87, 80, 82),
    ("S010", "义乌博远日用品有限公司", "义乌", "潘美华", "0579-8556 2219", 9, 30, 70, 75, 95),
    ("S011", "上海申通照明器材有限公司", "上海", "袁国栋", "021-5712 8806", 4, 30, 91, 92, 76),
    ("S012", "厦门宏发继电器销售有限公司", "厦门", "蔡文斌", "0592-6105 4472", 14, 60, 96, 68, 70),
    ("S013", "南京长江包装材料有限公司", "南京", "谢春梅", "025-5276 1193", 6, 30, 76, 82, 85),
    ("S014", "昆山立讯连接器有限公司", "昆山", "邵敏", "0512-5731 6650", 5, 45, 93, 90, 74),
    ("S015", "台州黄岩模塑有限公司", "台州", "彭建军", "0576-8418 3327", 10, 30, 74, 66, 89),
]

# (category, unit, [(name, cost, list price)]) — SKUs are numbered per category below.
_PRODUCT_GROUPS = [
    ("五金配件", "盒", [
        ("不锈钢内六角螺栓 M6×20（100只）", "18.50", "29.00"),
        ("不锈钢内六角螺栓 M8×30（100只）", "32.00", "49.00"),
        ("镀锌平垫圈 M8（500只）", "12.80", "21.00"),
        ("尼龙锁紧螺母 M6（200只）", "15.60", "25.00"),
        ("膨胀螺栓 M10×80（50只）", "26.00", "42.00"),
        ("自攻螺丝 ST4.2×19（1000只）", "22.00", "36.00"),
        ("不锈钢合页 4寸（10只）", "48.00", "75.00"),
        ("重型抽屉滑轨 400mm（对）", "35.00", "58.00"),
        ("铝合金拉手 128mm（10只）", "40.00", "65.00"),
        ("万向脚轮 3寸带刹车（4只）", "52.00", "85.00"),
        ("304不锈钢喉箍 20-32mm（50只）", "30.00", "48.00"),
        ("工业级扎带 4×200（1000根）", "16.00", "27.00"),
    ]),
    ("包装材料", "卷", [
        ("透明封箱胶带 48mm×100m", "6.20", "10.50"),
        ("气泡膜卷 50cm×100m", "38.00", "62.00"),
        ("PE缠绕膜 50cm×300m", "42.00", "68.00"),
        ("牛皮纸胶带 60mm×50m", "8.50", "14.00"),
        ("易碎品警示胶带 48mm×100m", "9.00", "15.00"),
        ("珍珠棉卷 1m×50m×5mm", "55.00", "88.00"),
        ("打包带 PP 15mm×1000m", "46.00", "72.00"),
        ("防静电屏蔽袋卷 20cm×100m", "64.00", "98.00"),
        ("瓦楞纸卷 1.2m×30m", "72.00", "115.00"),
        ("离型纸卷 30cm×200m", "58.00", "92.00"),
    ]),
    ("电子元件", "包", [
        ("贴片电阻 0805 10kΩ（5000只）", "24.00", "39.00"),
        ("贴片电容 0603 100nF（4000只）", "28.00", "45.00"),
        ("电解电容 470μF 25V（200只）", "36.00", "58.00"),
        ("LED灯珠 5050 白光（1000只）", "45.00", "72.00"),
        ("继电器 12V 10A（50只）", "85.00", "135.00"),
        ("USB-C 母座 16P（500只）", "60.00", "96.00"),
        ("排针 2.54mm 单排40P（200条）", "18.00", "30.00"),
        ("稳压芯片 AMS1117-3.3（200只）", "42.00", "68.00"),
        ("保险丝 5×20 2A（500只）", "20.00", "33.00"),
        ("热缩管套装 Φ2-Φ10（10包）", "25.00", "40.00"),
        ("杜邦线 20cm 公对母（400根）", "22.00", "36.00"),
        ("轻触开关 6×6×5（1000只）", "19.00", "31.00"),
    ]),
    ("办公用品", "箱", [
        ("A4 复印纸 70g（5包/箱）", "98.00", "135.00"),
        ("A4 复印纸 80g（5包/箱）", "118.00", "160.00"),
        ("中性笔 0.5mm 黑色（12支×20盒）", "86.00", "130.00"),
        ("长尾夹 32mm（24只×24盒）", "64.00", "99.00"),
        ("文件盒 A4 75mm（24只）", "72.00", "112.00"),
        ("订书钉 24/6（1000枚×100盒）", "58.00", "90.00"),
        ("便利贴 76×76mm（12本×24包）", "80.00", "125.00"),
        ("白板笔 黑色（10支×20盒）", "92.00", "140.00"),
        ("热敏打印纸 80×80mm（50卷）", "105.00", "158.00"),
        ("碳带 110mm×300m（10卷）", "150.00", "228.00"),
    ]),
    ("成品", "台", [
        ("恒远 LED 护眼台灯 HY-T10", "78.00", "139.00"),
        ("恒远 智能插座 HY-S2（WiFi）", "42.00", "79.00"),
        ("恒远 桌面收纳架 HY-R3", "35.00", "65.00"),
        ("恒远 USB 充电排插 HY-P6", "48.00", "89.00"),
        ("恒远 LED 工矿灯 HY-G100", "165.00", "289.00"),
        ("恒远 应急照明灯 HY-E2", "58.00", "109.00"),
        ("恒远 工具收纳箱 HY-B5", "88.00", "159.00"),
        ("恒远 防水接线盒 HY-J4", "12.50", "25.00"),
        ("恒远 线缆整理器套装 HY-C8", "9.80", "19.90"),
        ("恒远 手持扫码枪 HY-SC1", "135.00", "239.00"),
        ("恒远 感应夜灯 HY-N1", "15.00", "29.00"),
        ("恒远 多功能工具刀 HY-K7", "22.00", "42.00"),
        ("恒远 温湿度计 HY-TH2", "26.00", "49.00"),
        ("恒远 迷你热熔胶枪 HY-GL3", "18.00", "35.00"),
        ("恒远 移动电源 HY-PB10", "62.00", "119.00"),
        ("恒远 桌面风扇 HY-F6", "45.00", "85.00"),
    ]),
]
_SKU_BASE = {"五金配件": 1001, "包装材料": 2001, "电子元件": 3001, "办公用品": 4001, "成品": 6201}


def _products():
    rows = []
    for category, unit, items in _PRODUCT_GROUPS:
        for index, (name, cost, price) in enumerate(items):
            sku = f"P{_SKU_BASE[category] + index}"
            cost_d, price_d = D(cost), D(price)
            # Cheaper items are kept in larger numbers.
            reorder = D(60) if cost_d < 30 else D(40) if cost_d < 80 else D(20)
            rows.append((sku, name, category, unit, cost_d, price_d, reorder,
                         (reorder / 2).quantize(D(1))))
    return rows


PRODUCTS = _products()
assert len(PRODUCTS) == 60


def _opening_stock():
    """(sku, warehouse, quantity): every product in Shanghai, finished goods in Kunshan too.

    Every seventh product sits below its reorder point in Shanghai, for the reorder alert.
    """
    rows = []
    for index, (sku, _name, category, _unit, _cost, _price, reorder, _safety) in \
            enumerate(PRODUCTS):
        below = index % 7 == 3
        quantity = (reorder * D("0.5")).quantize(D(1)) if below else reorder * 3 + index % 5 * 10
        rows.append((sku, "WH-SH", quantity))
        if category == "成品":
            rows.append((sku, "WH-KS", reorder + index % 4 * 15))
    return rows


OPENING_STOCK = _opening_stock()

# tier, category (None = all), from quantity, discount %, extra discount a clerk may give
PRICE_RULES = [
    ("A", None, D(0), D(8), D(3)),
    ("A", None, D(100), D(12), D(3)),
    ("B", None, D(0), D(5), D(2)),
    ("B", None, D(100), D(8), D(2)),
    ("C", None, D(0), D(0), D(2)),
    ("C", None, D(50), D(3), D(2)),
    ("A", "成品", D(200), D(15), D(3)),
]

# code, name, kind (Chinese small-enterprise chart, the codes a new employee meets first)
ACCOUNTS = [
    ("1001", "库存现金", "asset"), ("1002", "银行存款", "asset"),
    ("1122", "应收账款", "asset"), ("1221", "其他应收款", "asset"),
    ("1405", "库存商品", "asset"), ("1601", "固定资产", "asset"),
    ("1901", "待处理财产损溢", "asset"),
    ("2202", "应付账款", "liability"), ("2211", "应付职工薪酬", "liability"),
    ("2221", "应交税费", "liability"), ("2241", "其他应付款", "liability"),
    ("4001", "实收资本", "equity"), ("4103", "本年利润", "equity"),
    ("6001", "主营业务收入", "revenue"), ("6051", "其他业务收入", "revenue"),
    ("6401", "主营业务成本", "expense"), ("6601", "销售费用", "expense"),
    ("6602", "管理费用", "expense"), ("6603", "财务费用", "expense"),
    ("6711", "营业外支出", "expense"),
]

# Open customer invoices from before the sandbox's start (for receipts and ageing):
# number, customer, invoice date, net amount
OPEN_INVOICES = [
    ("INV-2025-0087", "C0001", "2026-08-20", D("86000.00")),
    ("INV-2025-0093", "C0003", "2026-09-12", D("42500.00")),
    ("INV-2025-0101", "C0006", "2026-10-08", D("128000.00")),
    ("INV-2025-0104", "C0007", "2026-10-15", D("38600.00")),
    ("INV-2025-0110", "C0012", "2026-10-28", D("25400.00")),
]

# Open supplier bills: number, supplier, bill date, net amount
OPEN_BILLS = [
    ("BILL-2025-0051", "S003", "2026-09-05", D("64000.00")),
    ("BILL-2025-0058", "S001", "2026-10-10", D("18200.00")),
    ("BILL-2025-0062", "S011", "2026-10-25", D("33500.00")),
]

FIXED_ASSETS = D("650000.00")
CASH_ON_HAND = D("18000.00")
BANK_BALANCE = D("1250000.00")

# Open sales orders: number, state, customer, creator, [(sku, quantity, discount %)]
OPEN_SALES_ORDERS = [
    ("SO-0001", "quotation", "C0004", "sales_clerk", [("P4002", D(40), D(5)),
                                                    ("P4003", D(20), D(5))]),
    ("SO-0002", "confirmed", "C0002", "sales_clerk", [("P3004", D(30), D(8)),
                                                    ("P3005", D(10), D(8))]),
    ("SO-0003", "pending_approval", "C0007", "sales_clerk", [("P6205", D(120), D(2)),
                                                           ("P6201", D(80), D(2))]),
]

# Open purchase orders: number, state, supplier, creator, [(sku, quantity, unit price)]
OPEN_PURCHASE_ORDERS = [
    ("PO-0001", "draft", "S002", "buyer", [("P2001", D(300), D("6.00")),
                                          ("P2002", D(40), D("37.00"))]),
    ("PO-0002", "confirmed", "S014", "buyer", [("P3006", D(80), D("58.00"))]),
    ("PO-0003", "pending_approval", "S012", "buyer", [("P3005", D(800), D("82.00"))]),
]

# Submitted expense claims: number, claimant, account, amount, description
OPEN_EXPENSE_CLAIMS = [
    ("EXP-0001", "sales_clerk", "6601", D("1280.00"), "拜访苏州华晟电子的差旅费（高铁、住宿）"),
]
