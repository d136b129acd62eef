<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>CameraView</name>
    <message>
        <location filename="../../ui/camera_view.py" line="75" />
        <source>Camera: waiting for a picture…</source>
        <translation>摄像头：等待画面…</translation>
    </message>
</context>
<context>
    <name>CheckScreen</name>
    <message>
        <location filename="../../ui/screens/check.py" line="23" />
        <source>Station check</source>
        <translation>工位检查</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="31" />
        <source>Label printer</source>
        <translation>面单打印机</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="31" />
        <source>Slip printer</source>
        <translation>装箱单打印机</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="32" />
        <source>Scanner</source>
        <translation>扫描枪</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="32" />
        <source>Camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="32" />
        <source>Scale</source>
        <translation>电子秤</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="33" />
        <source>OMS connection</source>
        <translation>OMS 连接</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="33" />
        <source>Speaker</source>
        <translation>扬声器</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="45" />
        <source>Check again</source>
        <translation>重新检查</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="46" />
        <source>Start work</source>
        <translation>开始工作</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="60" />
        <source>checking…</source>
        <translation>检查中…</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="101" />
        <source>no audio output device: the OK and error sounds cannot be heard</source>
        <translation>没有音频输出设备：听不到正确和错误提示音</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="102" />
        <source>sounds play on: {0}</source>
        <translation>提示音播放设备：{0}</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="113" />
        <source>camera {0} could not be set up (see the log)</source>
        <translation>摄像头 {0} 无法设置（见日志）</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="119" />
        <location filename="../../ui/screens/check.py" line="132" />
        <source>camera {0} delivers pictures</source>
        <translation>摄像头 {0} 画面正常</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="120" />
        <source>camera {0} is open but sends no pictures</source>
        <translation>摄像头 {0} 已打开但没有画面</translation>
    </message>
    <message>
        <location filename="../../ui/screens/check.py" line="134" />
        <source>camera {0} sends no pictures</source>
        <translation>摄像头 {0} 没有画面</translation>
    </message>
</context>
<context>
    <name>DemoPanel</name>
    <message>
        <location filename="../../ui/demo_panel.py" line="42" />
        <source>Hide or show the demo panel</source>
        <translation>隐藏或显示演示面板</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="52" />
        <source>Demo: virtual scanner</source>
        <translation>演示：虚拟扫描枪</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="56" />
        <source>Badges / PINs: {0}</source>
        <translation>工牌 / 密码：{0}</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="59" />
        <location filename="../../ui/demo_panel.py" line="179" />
        <source>Cut the network (go offline)</source>
        <translation>断开网络（离线）</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="62" />
        <source>Label printer: take the paper out</source>
        <translation>面单打印机：取出纸张</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="65" />
        <source>Put the parcel on the scale</source>
        <translation>把包裹放到秤上</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="67" />
        <source>Show the item to the camera</source>
        <translation>把商品放到摄像头下</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="83" />
        <source>printed labels appear here</source>
        <translation>打印的面单显示在这里</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="155" />
        <source>order</source>
        <translation>订单</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="155" />
        <source>bin</source>
        <translation>库位</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="156" />
        <source>wrong colour/size</source>
        <translation>错误颜色/尺码</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="156" />
        <source>unknown barcode</source>
        <translation>未知条码</translation>
    </message>
    <message>
        <location filename="../../ui/demo_panel.py" line="178" />
        <source>Network is CUT — click to restore</source>
        <translation>网络已断开 — 点击恢复</translation>
    </message>
</context>
<context>
    <name>LatestErrorsModel</name>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="67" />
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="67" />
        <source>Station</source>
        <translation>工位</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="67" />
        <source>Operator</source>
        <translation>操作员</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="67" />
        <source>Order</source>
        <translation>订单</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="68" />
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="68" />
        <source>Scanned</source>
        <translation>扫描到</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="68" />
        <source>Expected</source>
        <translation>应为</translation>
    </message>
</context>
<context>
    <name>LinesModel</name>
    <message>
        <location filename="../../ui/screens/work.py" line="44" />
        <source>Bin</source>
        <translation>库位</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="44" />
        <source>SKU</source>
        <translation>SKU</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="44" />
        <source>Item</source>
        <translation>商品</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="44" />
        <source>Colour / size</source>
        <translation>颜色 / 尺码</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="45" />
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="45" />
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="63" />
        <source>GIFT</source>
        <translation>赠品</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="65" />
        <source>FRAGILE</source>
        <translation>易碎</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="67" />
        <source>SHORT</source>
        <translation>缺货</translation>
    </message>
</context>
<context>
    <name>LoginScreen</name>
    <message>
        <location filename="../../ui/screens/login.py" line="16" />
        <source>Scan your badge, then type your PIN</source>
        <translation>请扫描工牌，然后输入密码</translation>
    </message>
    <message>
        <location filename="../../ui/screens/login.py" line="19" />
        <source>Badge</source>
        <translation>工牌</translation>
    </message>
    <message>
        <location filename="../../ui/screens/login.py" line="21" />
        <source>PIN</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../ui/screens/login.py" line="23" />
        <source>Log in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Badge and PIN are both needed.</source>
        <translation>需要工牌和密码。</translation>
    </message>
    <message>
        <source>Badge or PIN not recognised.</source>
        <translation>工牌或密码不正确。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Order {0} done.</source>
        <translation>订单 {0} 已完成。</translation>
    </message>
    <message>
        <source>No open order with barcode {0}</source>
        <translation>没有条码为 {0} 的待处理订单</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="189" />
        <source>Leave the station application</source>
        <translation>退出工位程序</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="191" />
        <source>Only a supervisor can leave the station.</source>
        <translation>只有主管可以退出工位程序。</translation>
    </message>
</context>
<context>
    <name>Names</name>
    <message>
        <location filename="../../ui/names.py" line="10" />
        <source>open</source>
        <translation>待处理</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="11" />
        <source>claimed</source>
        <translation>已领取</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="12" />
        <source>in progress</source>
        <translation>处理中</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="13" />
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="14" />
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="15" />
        <source>held</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="18" />
        <source>standard</source>
        <translation>标准</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="19" />
        <source>express</source>
        <translation>加急</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="20" />
        <source>economy</source>
        <translation>经济</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="21" />
        <source>same day</source>
        <translation>当日达</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="24" />
        <source>picker</source>
        <translation>拣货员</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="25" />
        <source>packer</source>
        <translation>打包员</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="26" />
        <source>supervisor</source>
        <translation>主管</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="29" />
        <source>Insufficient stock</source>
        <translation>库存不足</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="30" />
        <source>Wrong item in location</source>
        <translation>库位商品错误</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="31" />
        <source>Damaged</source>
        <translation>破损</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="32" />
        <source>Not found</source>
        <translation>找不到</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="35" />
        <source>label damaged</source>
        <translation>面单破损</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="36" />
        <source>label unreadable</source>
        <translation>面单无法扫描</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="37" />
        <source>label lost</source>
        <translation>面单丢失</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="38" />
        <source>wrong printer</source>
        <translation>打印机错误</translation>
    </message>
    <message>
        <location filename="../../ui/names.py" line="42" />
        <source>bag</source>
        <translation>袋子</translation>
    </message>
</context>
<context>
    <name>PickListModel</name>
    <message>
        <location filename="../../ui/screens/queue.py" line="26" />
        <source>Order</source>
        <translation>订单</translation>
    </message>
    <message>
        <location filename="../../ui/screens/queue.py" line="26" />
        <source>Lines</source>
        <translation>行数</translation>
    </message>
    <message>
        <location filename="../../ui/screens/queue.py" line="26" />
        <source>Units</source>
        <translation>件数</translation>
    </message>
    <message>
        <location filename="../../ui/screens/queue.py" line="26" />
        <source>Carrier</source>
        <translation>承运商</translation>
    </message>
    <message>
        <location filename="../../ui/screens/queue.py" line="27" />
        <source>Ship to</source>
        <translation>收货人</translation>
    </message>
    <message>
        <location filename="../../ui/screens/queue.py" line="27" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
</context>
<context>
    <name>PromptPanel</name>
    <message>
        <location filename="../../ui/dialogs.py" line="76" />
        <source>Quantity found</source>
        <translation>找到的数量</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="107" />
        <source>Supervisor badge</source>
        <translation>主管工牌</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="108" />
        <source>PIN</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="109" />
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="116" />
        <source>Accept</source>
        <translation>放行</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="119" />
        <source>Cancel [Esc]</source>
        <translation>取消 [Esc]</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="148" />
        <source>Short pick</source>
        <translation>缺货拣货</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="151" />
        <source>Reprint: why? (recorded)</source>
        <translation>重打：原因？（会被记录）</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="153" />
        <source>Supervisor approval</source>
        <translation>主管审批</translation>
    </message>
</context>
<context>
    <name>QueueScreen</name>
    <message>
        <location filename="../../ui/screens/queue.py" line="51" />
        <source>Open orders — scan an order barcode or choose one</source>
        <translation>待处理订单 — 扫描订单条码或选择一个</translation>
    </message>
    <message>
        <location filename="../../ui/screens/queue.py" line="63" />
        <source>Open order</source>
        <translation>打开订单</translation>
    </message>
    <message>
        <location filename="../../ui/screens/queue.py" line="70" />
        <source>Supervisor figures</source>
        <translation>主管统计</translation>
    </message>
    <message>
        <location filename="../../ui/screens/queue.py" line="74" />
        <source>Log out [Ctrl+L]</source>
        <translation>退出登录 [Ctrl+L]</translation>
    </message>
</context>
<context>
    <name>ShortPickDialog</name>
    <message>
        <source>Short pick</source>
        <translation>缺货拣货</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Quantity found</source>
        <translation>找到的数量</translation>
    </message>
</context>
<context>
    <name>StationSheet</name>
    <message>
        <location filename="../../ui/station_sheet.py" line="18" />
        <source>Complete the step</source>
        <translation>完成此步骤</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="19" />
        <source>Short pick</source>
        <translation>缺货拣货</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="20" />
        <source>Reprint the label</source>
        <translation>重打面单</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="21" />
        <source>Log out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="22" />
        <source>Undo the last scan</source>
        <translation>撤销上次扫描</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="23" />
        <source>Acknowledge the error</source>
        <translation>确认错误</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="24" />
        <source>Confirm the gift/insert</source>
        <translation>确认赠品/附件</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="25" />
        <source>Record the weight</source>
        <translation>记录重量</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="26" />
        <source>Print label and slip</source>
        <translation>打印面单和装箱单</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="27" />
        <source>Supervisor override</source>
        <translation>主管放行</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="28" />
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="29" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="32" />
        <source>Short: insufficient stock</source>
        <translation>缺货：库存不足</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="33" />
        <source>Short: wrong item in the bin</source>
        <translation>缺货：库位商品错误</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="34" />
        <source>Short: damaged</source>
        <translation>缺货：破损</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="35" />
        <source>Short: not found</source>
        <translation>缺货：找不到</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="38" />
        <source>Reprint: label damaged</source>
        <translation>重打：面单破损</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="39" />
        <source>Reprint: label unreadable</source>
        <translation>重打：面单无法扫描</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="40" />
        <source>Reprint: label lost</source>
        <translation>重打：面单丢失</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="41" />
        <source>Reprint: wrong printer</source>
        <translation>重打：打印机错误</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="43" />
        <source>Carton {0}</source>
        <translation>箱型 {0}</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="45" />
        <source>Station sheet</source>
        <translation>工位操作条码表</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="46" />
        <source>Actions</source>
        <translation>操作</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="47" />
        <source>Cartons</source>
        <translation>箱型</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="48" />
        <source>Short-pick reasons</source>
        <translation>缺货原因</translation>
    </message>
    <message>
        <location filename="../../ui/station_sheet.py" line="49" />
        <source>Reprint reasons</source>
        <translation>重打原因</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <location filename="../../ui/statusbar.py" line="86" />
        <source>not logged in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>picker</source>
        <translation>拣货员</translation>
    </message>
    <message>
        <source>packer</source>
        <translation>打包员</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>主管</translation>
    </message>
    <message>
        <location filename="../../ui/statusbar.py" line="97" />
        <source>PRINTER: {0}</source>
        <translation>打印机：{0}</translation>
    </message>
    <message>
        <location filename="../../ui/statusbar.py" line="100" />
        <source>printers OK</source>
        <translation>打印机正常</translation>
    </message>
    <message>
        <location filename="../../ui/statusbar.py" line="106" />
        <source>sync: not available</source>
        <translation>同步：不可用</translation>
    </message>
    <message>
        <location filename="../../ui/statusbar.py" line="109" />
        <source>ONLINE</source>
        <translation>在线</translation>
    </message>
    <message>
        <location filename="../../ui/statusbar.py" line="109" />
        <source>OFFLINE — working from cache</source>
        <translation>离线 — 使用本地缓存工作</translation>
    </message>
    <message>
        <location filename="../../ui/statusbar.py" line="111" />
        <source>oldest</source>
        <translation>最早</translation>
    </message>
    <message>
        <location filename="../../ui/statusbar.py" line="113" />
        <source>to sync: {0}</source>
        <translation>待同步：{0}</translation>
    </message>
    <message>
        <location filename="../../ui/statusbar.py" line="116" />
        <source>last sync {0} s ago</source>
        <translation>上次同步 {0} 秒前</translation>
    </message>
    <message>
        <location filename="../../ui/statusbar.py" line="118" />
        <source>never synced</source>
        <translation>从未同步</translation>
    </message>
    <message>
        <location filename="../../ui/statusbar.py" line="123" />
        <source>CLOCK OFF BY {0} s</source>
        <translation>时钟偏差 {0} 秒</translation>
    </message>
</context>
<context>
    <name>SupervisorDialog</name>
    <message>
        <location filename="../../ui/dialogs.py" line="171" />
        <source>Supervisor approval</source>
        <translation>主管审批</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="178" />
        <source>Supervisor badge</source>
        <translation>主管工牌</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="179" />
        <source>PIN</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="180" />
        <source>Reason</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>SupervisorScreen</name>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="167" />
        <source>station</source>
        <translation>工位</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="168" />
        <source>operator</source>
        <translation>操作员</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="170" />
        <source>This station</source>
        <translation>本工位</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="171" />
        <source>All stations (OMS)</source>
        <translation>全部工位（OMS）</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="174" />
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="176" />
        <source>Report (PDF + CSV)</source>
        <translation>报告（PDF + CSV）</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="205" />
        <source>Supervisors only: log in with a supervisor badge to see the figures.</source>
        <translation>仅限主管：请用主管工牌登录查看统计。</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="244" />
        <source>updating…</source>
        <translation>正在更新…</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="248" />
        <source>loading all stations' figures from the OMS…</source>
        <translation>正在从 OMS 读取全部工位统计…</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="273" />
        <source>The figures could not be computed: {0}</source>
        <translation>无法计算统计：{0}</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="285" />
        <source>This station's own log (works offline).</source>
        <translation>本工位自己的日志（离线可用）。</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="283" />
        <source>OMS unreachable — showing this station only.</source>
        <translation>无法连接 OMS — 仅显示本工位。</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="142" />
        <source>Back to queue [Esc]</source>
        <translation>返回订单列表 [Esc]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="143" />
        <source>Log out [Ctrl+L]</source>
        <translation>退出登录 [Ctrl+L]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="279" />
        <source>All stations, from the OMS. The latest-errors table shows this station only.</source>
        <translation>全部工位，来自 OMS。最新错误表仅显示本工位。</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="290" />
        <source>Wrong item</source>
        <translation>错误商品</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="290" />
        <source>Wrong colour/size</source>
        <translation>颜色/尺码错误</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="291" />
        <source>Other order's item</source>
        <translation>其他订单的商品</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="291" />
        <source>Too many</source>
        <translation>数量超出</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="292" />
        <source>Unknown barcode</source>
        <translation>未知条码</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="293" />
        <source>Unreadable</source>
        <translation>无法识别</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="293" />
        <source>Wrong bin</source>
        <translation>库位错误</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="294" />
        <source>Wrong lot</source>
        <translation>批号错误</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="294" />
        <source>Expired lot</source>
        <translation>批号过期</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="295" />
        <source>No order open</source>
        <translation>未打开订单</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="295" />
        <source>Lot missing</source>
        <translation>缺少批号</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="296" />
        <source>Serial missing</source>
        <translation>缺少序列号</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="296" />
        <source>Serial twice</source>
        <translation>序列号重复</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="297" />
        <location filename="../../ui/screens/supervisor.py" line="301" />
        <source>Stopped order</source>
        <translation>被拦截订单</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="297" />
        <source>Action barcode</source>
        <translation>操作条码</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="298" />
        <source>Short: no stock</source>
        <translation>缺货：库存不足</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="299" />
        <source>Short: wrong item in bin</source>
        <translation>缺货：库位商品错误</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="300" />
        <source>Short: damaged</source>
        <translation>缺货：破损</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="300" />
        <source>Short: not found</source>
        <translation>缺货：找不到</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="301" />
        <source>Weight override</source>
        <translation>重量放行</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="302" />
        <source>Reprint</source>
        <translation>重打</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="302" />
        <source>Printer fault</source>
        <translation>打印机故障</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="307" />
        <source>Pick</source>
        <translation>拣货</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="307" />
        <source>Verify</source>
        <translation>复核</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="307" />
        <source>Pack</source>
        <translation>打包</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="308" />
        <source>Weigh</source>
        <translation>称重</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="308" />
        <source>Label</source>
        <translation>贴面单</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="312" />
        <source>scans {0} · orders {1} · errors {2}</source>
        <translation>扫描 {0} · 订单 {1} · 错误 {2}</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="341" />
        <source>Errors by hour</source>
        <translation>按小时错误</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="343" />
        <location filename="../../ui/screens/supervisor.py" line="369" />
        <source>errors</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="354" />
        <source>hour</source>
        <translation>小时</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="365" />
        <source>Error types</source>
        <translation>错误类型</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="374" />
        <source>no errors</source>
        <translation>无错误</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="393" />
        <source>Step time, minutes (median, p90; SLA line)</source>
        <translation>步骤用时（分钟；中位数、P90；红线为 SLA）</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="394" />
        <source>Step time, seconds (median, p90; SLA line)</source>
        <translation>步骤用时（秒；中位数、P90；红线为 SLA）</translation>
    </message>
    <message>
        <source>Step time, minutes (median, p90, SLA)</source>
        <translation>步骤用时（分钟：中位数、P90、SLA）</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="397" />
        <source>median</source>
        <translation>中位数</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="397" />
        <source>p90</source>
        <translation>P90</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="427" />
        <source>SLA</source>
        <translation>SLA</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="463" />
        <source>writing the report…</source>
        <translation>正在生成报告…</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="469" />
        <source>Report failed: {0}</source>
        <translation>报告失败：{0}</translation>
    </message>
    <message>
        <location filename="../../ui/screens/supervisor.py" line="472" />
        <source>Report written: {0}</source>
        <translation>报告已生成：{0}</translation>
    </message>
</context>
<context>
    <name>VerdictPanel</name>
    <message>
        <location filename="../../ui/verdict_panel.py" line="93" />
        <source>ACKNOWLEDGE (or scan again)</source>
        <translation>确认（或再扫一次）</translation>
    </message>
    <message>
        <location filename="../../ui/verdict_panel.py" line="146" />
        <source>Acknowledged — carry on.</source>
        <translation>已确认 — 继续。</translation>
    </message>
</context>
<context>
    <name>WorkScreen</name>
    <message>
        <location filename="../../ui/screens/work.py" line="209" />
        <source>— choose carton —</source>
        <translation>— 选择箱型 —</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="234" />
        <source>Short pick [F2]</source>
        <translation>缺货 [F2]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="235" />
        <source>Confirm gift [F3]</source>
        <translation>确认赠品 [F3]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="236" />
        <source>Undo last scan [F4]</source>
        <translation>撤销上次扫描 [F4]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="237" />
        <source>Record weight [F8]</source>
        <translation>记录重量 [F8]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="238" />
        <source>Print label + slip [F9]</source>
        <translation>打印面单和装箱单 [F9]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="239" />
        <source>Complete step [F10]</source>
        <translation>完成步骤 [F10]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="240" />
        <source>Supervisor [F11]</source>
        <translation>主管 [F11]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="241" />
        <source>Reprint [F12]</source>
        <translation>重打 [F12]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="242" />
        <source>Back to queue [Esc]</source>
        <translation>返回订单列表 [Esc]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="243" />
        <source>Log out [Ctrl+L]</source>
        <translation>退出登录 [Ctrl+L]</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="377" />
        <source>Order</source>
        <translation>订单</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="381" />
        <source>Ship to</source>
        <translation>收货人</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="418" />
        <source>Put the parcel on the scale</source>
        <translation>把包裹放到秤上</translation>
    </message>
    <message>
        <source>ORDER STOPPED by the OMS ({0}): {1} — do not ship.</source>
        <translation>订单已被 OMS 拦截（{0}）：{1} — 不要发货。</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="394" />
        <source>Bin</source>
        <translation>库位</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="400" />
        <source>no image</source>
        <translation>无图片</translation>
    </message>
    <message>
        <source>All lines done: complete the step [F10]</source>
        <translation>全部行已完成：完成此步骤 [F10]</translation>
    </message>
    <message>
        <source>PICK</source>
        <translation>拣货</translation>
    </message>
    <message>
        <source>VERIFY</source>
        <translation>复核</translation>
    </message>
    <message>
        <source>PACK</source>
        <translation>打包</translation>
    </message>
    <message>
        <source>WEIGH</source>
        <translation>称重</translation>
    </message>
    <message>
        <source>LABEL</source>
        <translation>贴面单</translation>
    </message>
    <message>
        <source>DONE</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Short pick recorded: {0}</source>
        <translation>已记录缺货：{0}</translation>
    </message>
    <message>
        <source>Gift/insert confirmed: {0}</source>
        <translation>赠品/附件已确认：{0}</translation>
    </message>
    <message>
        <source>scale: no reading</source>
        <translation>电子秤：无读数</translation>
    </message>
    <message>
        <location filename="../../ui/screens/work.py" line="424" />
        <source>expected</source>
        <translation>应为</translation>
    </message>
    <message>
        <source>Wait for a stable weight on the scale.</source>
        <translation>请等待秤上重量稳定。</translation>
    </message>
    <message>
        <source>Weight OK</source>
        <translation>重量正确</translation>
    </message>
    <message>
        <source>Weight {0} g is outside {1} ± {2} g: check the parcel or ask a supervisor.</source>
        <translation>重量 {0} 克超出 {1} ± {2} 克：请检查包裹或找主管。</translation>
    </message>
    <message>
        <source>Override weight mismatch / force line</source>
        <translation>放行重量不符 / 强制完成行</translation>
    </message>
    <message>
        <source>Not a supervisor badge/PIN: nothing overridden.</source>
        <translation>不是主管工牌/密码：未放行。</translation>
    </message>
    <message>
        <source>Supervisor override recorded.</source>
        <translation>主管放行已记录。</translation>
    </message>
    <message>
        <source>Labels print at the LABEL step.</source>
        <translation>面单在贴面单步骤打印。</translation>
    </message>
    <message>
        <source>Label blocked</source>
        <translation>面单被阻止</translation>
    </message>
    <message>
        <source>Printing failed: {0}</source>
        <translation>打印失败：{0}</translation>
    </message>
    <message>
        <source>Label and slip sent to the printers.</source>
        <translation>面单和装箱单已发送到打印机。</translation>
    </message>
    <message>
        <source>Nothing printed yet for this order.</source>
        <translation>此订单尚未打印。</translation>
    </message>
    <message>
        <source>Reprint</source>
        <translation>重打</translation>
    </message>
    <message>
        <source>Why reprint? (recorded)</source>
        <translation>为什么重打？（会被记录）</translation>
    </message>
    <message>
        <source>Reprint queued (audited).</source>
        <translation>重打已排队（已记录审计）。</translation>
    </message>
</context>
<context>
    <name>w</name>
    <message>
        <source>packer</source>
        <translation>打包员</translation>
    </message>
    <message>
        <source>picker</source>
        <translation>拣货员</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>主管</translation>
    </message>
</context>
<context>
    <name>widget</name>
    <message>
        <location filename="../../ui/dialogs.py" line="30" />
        <source>Insufficient stock</source>
        <translation>库存不足</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="31" />
        <source>Wrong item in location</source>
        <translation>库位商品错误</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="32" />
        <source>Damaged</source>
        <translation>破损</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="33" />
        <source>Not found</source>
        <translation>找不到</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="39" />
        <source>Label damaged</source>
        <translation>面单损坏</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="40" />
        <source>Label unreadable</source>
        <translation>面单无法识别</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="41" />
        <source>Label lost</source>
        <translation>面单丢失</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs.py" line="42" />
        <source>Wrong printer</source>
        <translation>打印机错误</translation>
    </message>
</context>
<context>
    <name>window</name>
    <message>
        <location filename="../../ui/shell.py" line="26" />
        <source>Something went wrong and was logged; the station keeps running: {0}</source>
        <translation>出现错误，已记录日志；工位继续运行：{0}</translation>
    </message>
</context>
</TS>