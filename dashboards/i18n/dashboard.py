"""Texts of the executive dashboard ("Quality at a glance") and its charts."""

STRINGS = {
    "dash.closed": ("closed (run {run})", "已关账（第 {run} 次计算）"),
    "dash.preview": (
        "preview, month open: the figures change until the month is closed",
        "预览，月份未关账：关账前数字仍会变化",
    ),
    "dash.no_data": (
        "No forms yet for {month}, and no problem counts in it: its coefficients are not known.",
        "{month} 还没有评分表，也没有计入本月的质量问题：本月系数尚无法得出。",
    ),
    "dash.no_forms": (
        "No forms yet for {month}: the coefficients below hold only the penalties so far.",
        "{month} 还没有评分表：以下系数目前只包含扣分。",
    ),
    "dash.download_csv": ("Data (CSV)", "数据（CSV）"),
    # headline tiles
    "dash.tile.satisfaction": ("Plant satisfaction", "全厂满意度"),
    "dash.tile.satisfaction_help": (
        "Plant satisfaction: the units' satisfaction S weighted by their volume (the supply"
        " weights of the customers that scored them), 0–100.",
        "全厂满意度：各单位满意度 S 按供货量（评分顾客的供需权重）加权平均，0–100。",
    ),
    "dash.tile.under_target": ("Under target", "未达标单位"),
    "dash.tile.under_target_help": (
        "Units whose satisfaction is below their target; units without forms do not count.",
        "满意度低于目标值的单位数；没有评分表的单位不计。",
    ),
    "dash.tile.opened": ("New problems", "新增问题"),
    "dash.tile.opened_help": ("Quality problems found in the month.", "本月发现的质量问题数。"),
    "dash.tile.closed": ("Closed", "关闭问题"),
    "dash.tile.closed_help": (
        "Quality problems whose corrective action was verified effective in the month.",
        "本月纠正措施验证有效并关闭的质量问题。",
    ),
    "dash.tile.overdue": ("Overdue", "超期问题"),
    "dash.tile.overdue_help": (
        "Problems penalised as overdue in the month: deadline passed by the month's end and"
        " not closed (the exposure list under Corrective actions).",
        "本月按超期扣分的问题：截止日期在月底前且未关闭（见“纠正措施”中的曝光清单）。",
    ),
    "dash.tile.spread": ("K spread", "系数极差"),
    "dash.tile.spread_help": (
        "Coefficient spread: the highest minus the lowest quality coefficient K of the month.",
        "系数极差：本月最高与最低质量考核系数 K 之差。",
    ),
    "dash.tile.vs": ("arrows: change against {month}", "箭头：与 {month} 相比的变化"),
    "dash.tile.previous": ("Previous month: {value}.", "上月：{value}。"),
    # ranking
    "dash.ranking.title": ("Coefficient ranking", "系数排名"),
    "dash.ranking.caption": (
        "Each unit's K is written after its name. Bars start at K = 1.0: green from 1.0,"
        " amber from 0.9, red below. Click a bar to open the unit page.",
        "每个单位的 K 写在其名称后。条形从 K = 1.0 起：1.0 及以上为绿色，0.9 起为黄色，"
        "低于 0.9 为红色。点击条形打开单位详情。",
    ),
    "dash.ranking.empty": (
        "No forms yet for {month}: there is no ranking to show.",
        "{month} 还没有评分表：暂无排名。",
    ),
    "dash.ranking.target": ("target 1.0", "目标 1.0"),
    "dash.ranking.alert": ("alert 0.9", "警戒 0.9"),
    # map
    "dash.map.title": ("Who serves whom", "供需地图"),
    "dash.map.caption": (
        "Upstream left, downstream right. Units are coloured by K; arrows by the score the"
        " customer gave (dotted grey: no form), thicker for more volume. Hover for numbers;"
        " click a unit to open its page.",
        "左为上道，右为下道。单位按系数 K 着色；箭头按下道顾客的评分着色（灰色虚线：未评分），"
        "越粗表示供货量越大。悬停查看数字；点击单位打开其详情页。",
    ),
    "dash.map.empty": (
        "No unit supplied another in {month}: no routing is in force and no handover or"
        " service relation is recorded.",
        "{month} 没有单位向其他单位供货：没有生效的工艺路线，也没有交接或服务关系记录。",
    ),
    "dash.legend.green": ("K ≥ 1.0", "K ≥ 1.0"),
    "dash.legend.amber": ("0.9 ≤ K < 1.0", "0.9 ≤ K < 1.0"),
    "dash.legend.red": ("K < 0.9", "K < 0.9"),
    # matrix
    "dash.matrix.title": ("Supplier × customer scores", "上道 × 下道评分矩阵"),
    "dash.matrix.caption": (
        "Form score (0–100) each customer gave each supplier. ✕: a form owed and not sent;"
        " …: a form not complete. Forms missing or incomplete: {missing}.",
        "每个下道顾客给每个上道单位的评分（0–100）。✕：应评未评；…：评分表不完整。"
        "缺失或不完整：{missing} 份。",
    ),
    "dash.matrix.no_forms": (
        "No forms yet for {month}: every form owed is still missing.",
        "{month} 还没有评分表：所有应评的评分表都还缺失。",
    ),
    "dash.matrix.empty": (
        "No unit owed another a form in {month}.",
        "{month} 没有单位需要给其他单位评分。",
    ),
    "dash.matrix.missing": ("form owed, not sent", "应评未评"),
    "dash.matrix.incomplete": ("form not complete", "评分表不完整"),
    # trends
    "dash.trends.title": ("Trends", "趋势"),
    "dash.trends.units": ("Units", "单位"),
    "dash.trends.units_help": (
        "The three lowest coefficients of the month are shown first; add or remove units.",
        "默认显示本月系数最低的三个单位；可以增减。",
    ),
    "dash.trends.caption": (
        "Satisfaction (top) and coefficient (bottom) over twelve months. A star marks a month"
        " in which a corrective action of the unit was closed: look at the months after it."
        " A hollow marker on a dotted segment is a month still open: provisional.",
        "近十二个月的满意度（上）与系数（下）。星号表示该单位在当月关闭了纠正措施：请看其后几个月的变化。"
        "空心点与点线表示尚未结账的月份：数字暂定。",
    ),
    "dash.trends.choose": ("Choose at least one unit.", "请至少选择一个单位。"),
    "dash.trends.empty": (
        "No month from {first} to {last} has forms or penalties yet: there is no trend to show.",
        "{first} 至 {last} 还没有任何评分或扣分：暂无趋势。",
    ),
    "dash.trends.action_closed": ("corrective action closed", "纠正措施关闭"),
    "dash.trends.closed_refs": ("corrective action closed: {refs}", "纠正措施关闭：{refs}"),
    # paretos
    "dash.pareto.title": ("Where defects come from", "缺陷来源"),
    "dash.pareto.scope": ("Problems found in", "统计范围"),
    "dash.pareto.window": ("{first} to {last}", "{first} 至 {last}"),
    "dash.pareto.measure": ("Measure", "度量"),
    "dash.pareto.measure_help": (
        "By responsible unit, a problem shared between units counts by its shares.",
        "按责任单位统计时，多个单位分担的问题按责任比例计数。",
    ),
    "dash.pareto.count": ("problems", "问题数"),
    "dash.pareto.cost": ("cost", "损失金额"),
    "dash.pareto.cumulative": ("cumulative", "累计"),
    "dash.pareto.others": ("others", "其他"),
    "dash.pareto.caption": (
        "{problems} problems found in {period}, largest sources first; the line is the"
        " cumulative share.",
        "{period} 共发现 {problems} 个问题，按来源从大到小排列；折线为累计占比。",
    ),
    "dash.pareto.empty": ("No problem was found in {period}.", "{period} 没有发现质量问题。"),
    "dash.pareto.no_cost": (
        "No problem found in {period} has a cost: shown by count instead.",
        "{period} 的问题都没有损失金额：改为按问题数显示。",
    ),
    "dash.pareto.no_cost_here": (
        "No problem of {period} counted here has a cost.",
        "{period} 此处统计的问题都没有损失金额。",
    ),
    "dash.pareto.no_escape": (
        "No problem of {period} passed an inspection unnoticed.",
        "{period} 没有漏检的问题。",
    ),
    "dash.pareto.responsible": ("By responsible unit", "按责任单位"),
    "dash.pareto.unsettled": ("not settled", "未定责"),
    "dash.pareto.defect_code": ("By defect code", "按缺陷代码"),
    "dash.pareto.no_code": ("no code", "无代码"),
    "dash.pareto.escape": ("By escape point", "按漏检点"),
    # corrective actions
    "dash.actions.title": ("Corrective actions", "纠正措施"),
    "dash.actions.preview": (
        "The month is open: the list shows what would be overdue at its end if nothing"
        " changes; ages are counted to {day}.",
        "本月未关账：清单显示若无变化月底将超期的问题；时长计算至 {day}。",
    ),
    "dash.actions.ageing": ("Open problems by age on {day}", "截至 {day} 未关闭问题的时长"),
    "dash.actions.none_open": ("No problem was open on {day}.", "截至 {day} 没有未关闭的问题。"),
    "dash.actions.exposure": ("Overdue in {month} (exposure list)", "{month} 超期曝光清单"),
    "dash.actions.none_overdue": (
        "No problem was overdue in {month}.",
        "{month} 没有超期的问题。",
    ),
    "dash.actions.days": ("{range} days", "{range} 天"),
    "dash.actions.overdue": ("overdue", "已超期"),
    "dash.actions.due": ("deadline ahead", "未到期"),
    "dash.actions.no_deadline": ("no deadline yet", "尚无期限"),
    # columns
    "dash.col.problem": ("problem", "问题"),
    "dash.col.responsible": ("responsible unit", "责任单位"),
    "dash.col.share": ("share", "责任比例"),
    "dash.col.deadline": ("deadline", "截止日期"),
    "dash.col.days_overdue": ("days overdue", "超期天数"),
    "dash.col.points": ("penalty points", "扣分"),
    "dash.col.defect_code": ("defect code", "缺陷代码"),
    "dash.col.status": ("status", "状态"),
    "dash.col.found_on": ("found on", "发现日期"),
    "dash.col.found_at": ("found at", "发现单位"),
    "dash.col.severity": ("severity", "严重度"),
    "dash.col.role": ("the unit is", "本单位为"),
    "dash.col.cost": ("cost", "损失金额"),
    "dash.severity.minor": ("minor", "一般"),
    "dash.severity.major": ("major", "严重"),
    "dash.severity.critical": ("critical", "致命"),
    # the unit page
    "dash.unit.title": ("Unit page", "单位详情"),
    "dash.unit.choose": ("Unit", "单位"),
    "dash.unit.choose_help": (
        "Or click a unit in the ranking or on the map.",
        "也可以点击排名或供需地图中的单位。",
    ),
    "dash.unit.opened": ("{unit}: opened on the unit page", "{unit}：已在单位详情中打开"),
    "dash.unit.coefficient": ("Coefficient K", "系数 K"),
    "dash.unit.satisfaction": ("Satisfaction S", "满意度 S"),
    "dash.unit.target": ("Target", "目标"),
    "dash.unit.penalty": ("Penalty points", "扣分"),
    "dash.unit.rank": ("Rank", "排名"),
    "dash.unit.scores": (
        "{unit}: scores by customer and criterion, {month}",
        "{unit}：{month} 各下道顾客分项评分",
    ),
    "dash.unit.no_units": (
        "This plant has no units yet: import its units on the master-data page.",
        "该工厂尚无单位：请在基础数据页导入单位。",
    ),
    "dash.unit.no_customers": (
        "No unit was a customer of {unit} in {month}: nobody owed it a form.",
        "{month} 没有单位是 {unit} 的下道顾客：无人需要给它评分。",
    ),
    "dash.unit.decomposition": (
        "{unit}: what made its coefficient, month by month",
        "{unit}：系数构成（逐月）",
    ),
    "dash.unit.no_history": (
        "{unit} has no coefficient from {first} to {last} yet.",
        "{unit} 在 {first} 至 {last} 还没有系数。",
    ),
    "dash.unit.penalties": (
        "{unit}: penalty points of {month}, problem by problem",
        "{unit}：{month} 扣分明细（逐个问题）",
    ),
    "dash.unit.problems": (
        "{unit}: problems found from {first} to {last}",
        "{unit}：{first} 至 {last} 发现的问题",
    ),
    "dash.unit.no_problems": (
        "No problem found from {first} to {last} names {unit} as responsible unit or escape point.",
        "{first} 至 {last} 没有以 {unit} 为责任单位或漏检点的问题。",
    ),
    "dash.unit.role_responsible": ("responsible", "责任单位"),
    "dash.unit.role_escape": ("escape point", "漏检点"),
    # chart texts
    "dash.axis.coefficient": ("coefficient K", "系数 K"),
    "dash.axis.satisfaction": ("satisfaction S", "满意度 S"),
    "dash.axis.form": ("form score", "评分"),
    "dash.axis.customer": ("customer (gives the score)", "下道顾客（评分方）"),
    "dash.axis.supplier": ("supplier (is scored)", "上道单位（被评方）"),
    "dash.axis.age": ("days since found", "发现至今天数"),
    "dash.axis.open_problems": ("open problems", "未关闭问题"),
    "dash.hover.satisfaction": ("S {value} (target {target})", "满意度 {value}（目标 {target}）"),
    "dash.hover.satisfaction_only": ("S {value}", "满意度 {value}"),
    "dash.hover.penalty": ("penalty points {value}", "扣分 {value}"),
    "dash.hover.form": ("form score {value}", "评分 {value}"),
    "dash.hover.no_form": ("no form", "未评分"),
    "dash.hover.volume": ("volume {value}", "供货量 {value}"),
    "dash.hover.pair": ("{customer} scores {supplier}", "{customer} 评 {supplier}"),
    "dash.decomposition.satisfaction": ("satisfaction term", "满意度项"),
    "dash.decomposition.defects": ("defects (points / 100)", "缺陷（扣分 / 100）"),
    "dash.decomposition.overdue": ("overdue (points / 100)", "超期（扣分 / 100）"),
    "dash.decomposition.escapes": ("escapes (points / 100)", "漏检（扣分 / 100）"),
    "dash.decomposition.clamp": ("limit", "上下限修正"),
}
