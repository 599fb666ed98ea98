"""Texts of the quality-problem pages: report, problems of my unit, quality desk."""

STRINGS = {
    # shared by the three pages
    "prob.severity.minor": ("minor (level 1)", "一般（一级）"),
    "prob.severity.major": ("major (level 2)", "严重（二级）"),
    "prob.severity.critical": ("critical (level 3)", "重大（三级）"),
    "prob.disposition.rework": ("rework", "返工返修"),
    "prob.disposition.scrap": ("scrap", "报废"),
    "prob.disposition.concession": ("concession", "让步接收"),
    "prob.disposition.use-as-is": ("use as is", "原样使用"),
    "prob.quantity": ("qty {quantity}", "数量 {quantity}"),
    "prob.op": ("op {op}", "工序 {op}"),
    "prob.escape": ("{unit} (op {op})", "{unit}（工序 {op}）"),
    "prob.deadline": ("Deadline of the corrective action: {deadline}", "整改期限：{deadline}"),
    "prob.milestones": ("Milestones", "节点计划"),
    "prob.typed": ("What you wrote:", "您填写的内容："),
    "prob.evidence.title": ("Evidence", "证据"),
    "prob.evidence.none": ("No evidence is kept with this problem.", "此问题没有附带证据。"),
    "prob.evidence.item": (
        "{name} · {size} · {by}, {at} {zone}",
        "{name} · {size} · {by}，{at} {zone}",
    ),
    "prob.milestones_help": (
        "One per line: YYYY-MM-DD: what is due, e.g. 2026-03-20: face marking on the drawing",
        "每行一个：YYYY-MM-DD: 节点内容，例如 2026-03-20: 图纸标注镀面",
    ),
    "prob.col.ref": ("problem", "问题编号"),
    "prob.col.found_on": ("found on", "发现日期"),
    "prob.col.found_at": ("found at", "发现单位"),
    "prob.col.part": ("part", "零件"),
    "prob.col.op": ("operation", "工序"),
    "prob.col.code": ("defect code", "缺陷代码"),
    "prob.col.severity": ("severity", "严重程度"),
    "prob.col.quantity": ("quantity", "数量"),
    "prob.col.status": ("status", "状态"),
    "prob.col.proposed": ("proposed", "建议责任单位"),
    "prob.col.responsible": ("responsible (share)", "责任单位（比例）"),
    "prob.col.deadline": ("deadline", "整改期限"),
    "prob.col.overdue": ("overdue", "超期"),
    "prob.col.closed_on": ("closed on", "关闭日期"),
    "prob.col.evidence": ("evidence (files)", "证据（文件数）"),
    "prob.col.rank": ("rank", "排序"),
    "prob.col.unit": ("unit", "单位"),
    "prob.col.category": ("process category", "工艺类别"),
    "prob.col.distance": ("steps to where found", "距发现工序步数"),
    "prob.col.path": ("path", "路径"),
    "prob.col.escapes": ("escapes", "漏检"),
    "prob.col.at": ("when ({zone})", "时间（{zone}）"),
    "prob.col.actor": ("who", "操作人"),
    "prob.col.action": ("step", "步骤"),
    "prob.col.dated": ("dated", "所填日期"),
    "prob.col.note": ("note or reason", "说明或理由"),
    "prob.trace.proposed": (
        "Proposed responsible unit: **{unit}** (operation {op}, {category}); path {path};"
        " escapes: {escapes}",
        "建议责任单位：**{unit}**（工序 {op}，{category}）；路径 {path}；漏检：{escapes}",
    ),
    "prob.trace.no_escape": ("none", "无"),
    "prob.trace.undetermined": (
        "No operation upstream can have caused this defect: responsibility is undetermined"
        " and the quality department rules it.",
        "上道没有可能造成该缺陷的工序：责任无法判定，由质量部门裁定。",
    ),
    "prob.trace.routing": (
        "Routing of {part} (version {version}) with the path of the defect",
        "{part} 的工艺路线（第 {version} 版）及缺陷路径",
    ),
    "prob.trace.show_path": ("Path shown for", "显示路径的候选"),
    "prob.chart.operation": ("operation", "工序"),
    "prob.chart.inspection": ("inspection", "检验工序"),
    "prob.chart.path": ("path of the defect", "缺陷路径"),
    "prob.chart.candidate": ("possible origin", "可能的来源"),
    "prob.chart.found": ("found here", "发现处"),
    "prob.chart.escape": ("escape: inspection that let it through", "漏检：放过缺陷的检验"),
    "prob.action.owner": ("Corrective action of **{owner}**", "**{owner}** 的纠正措施"),
    "prob.action.root_cause": ("Root cause:", "根本原因："),
    "prob.action.actions": ("Actions:", "措施："),
    "prob.event.reported": ("reported", "报告"),
    "prob.event.traced": ("traced", "追溯"),
    "prob.event.accepted": ("accepted", "接受"),
    "prob.event.disputed": ("disputed", "提出异议"),
    "prob.event.ruled": ("ruled", "裁定"),
    "prob.event.action-planned": ("corrective action entered", "填写纠正措施"),
    "prob.event.verification-requested": ("verification asked", "申请验证"),
    "prob.event.verified-closed": ("verified effective, closed", "验证有效，关闭"),
    "prob.event.verified-not-effective": ("verified not effective", "验证无效"),
    "prob.event.attachment-added": ("evidence attached", "添加证据"),
    "prob.event.imported-responsibility": ("responsibility imported", "导入责任"),
    "prob.event.imported-closed": ("closed by import", "导入时已关闭"),
    # report a quality problem
    "report.intro": (
        "Fill in the quality problem handling form for a defect your unit found. NOAC traces it"
        " upstream along the part's routing and proposes the responsible unit.",
        "为本单位发现的缺陷填写质量问题处理单。系统沿零件工艺路线向上道追溯，给出建议责任单位。",
    ),
    "report.found_at": ("Found at unit", "发现单位"),
    "report.found_at_fixed": ("Found at: **{unit}** · {name}", "发现单位：**{unit}** · {name}"),
    "report.found_on": ("Date found", "发现日期"),
    "report.no_parts": (
        "No part's routing in force on {day} passes through {unit}.",
        "{day} 生效的工艺路线中没有经过 {unit} 的零件。",
    ),
    "report.part": ("Part", "零件"),
    "report.op": ("Operation where found", "发现工序"),
    "report.op_unknown": ("not known", "不确定"),
    "report.op_help": (
        "Operations of {part} (routing version {version}) at your unit.",
        "{part}（工艺路线第 {version} 版）在本单位的工序。",
    ),
    "report.code": ("Defect code", "缺陷代码"),
    "report.code_unknown": ("unknown: none of these", "未知：不在目录中"),
    "report.code_placeholder": ("Choose a code, or 'unknown'", "请选择缺陷代码或“未知”"),
    "report.code_help": (
        "The catalogue says which processes can cause each defect; an unknown code makes NOAC"
        " propose the nearest upstream unit.",
        "缺陷目录规定了每种缺陷可能来源的工艺；代码未知时建议最近的上道单位。",
    ),
    "report.code_missing": (
        "Choose the defect code (or 'unknown') to report.",
        "请先选择缺陷代码（或“未知”）再提交。",
    ),
    "report.severity": ("Severity", "严重程度"),
    "report.severity_help": (
        "Review level: minor 1, major 2, critical 3.",
        "评审级别：一般为一级，严重为二级，重大为三级。",
    ),
    "report.quantity": ("Quantity", "数量"),
    "report.disposition": ("Disposition", "处置方式"),
    "report.disposition_none": ("not decided yet", "尚未决定"),
    "report.cost": ("Cost (optional)", "损失金额（可选）"),
    "report.lot": ("Lot or order (optional)", "批次或订单（可选）"),
    "report.description": ("Description", "问题描述"),
    "report.evidence": ("Evidence (photos, measurements)", "证据（照片、测量记录）"),
    "report.evidence_help": (
        "Stored with the problem once it is reported.",
        "问题报告成功后与问题一起保存。",
    ),
    "report.submit": ("Report the problem", "提交质量问题"),
    "report.done": ("Problem {ref} reported: {summary}", "质量问题 {ref} 已提交：{summary}"),
    "report.attached": ("Evidence stored: {files}", "已保存证据：{files}"),
    "report.next_step": (
        "The supervisor of the proposed unit now accepts it or disputes it; the quality"
        " department rules disputes.",
        "接下来由建议责任单位负责人接受或提出异议；有争议时由质量部门裁定。",
    ),
    # problems of my unit
    "mine.intro": (
        "Problems {unit} is proposed for or responsible for. Answer proposals, enter corrective"
        " actions and ask for verification when they are done. Below them, the problems"
        " {unit} found.",
        "{unit} 被建议为责任单位或已确定负责的问题：确认或提出异议、填写纠正措施、完成后申请验证。"
        "下方列出 {unit} 发现的问题。",
    ),
    "mine.no_unit": (
        "This page is for the supervisor of a unit.",
        "本页面供单位负责人使用。",
    ),
    "mine.to_answer": ("to answer", "待答复"),
    "mine.to_plan": ("corrective actions to enter", "待填纠正措施"),
    "mine.in_progress": ("in progress", "整改中"),
    "mine.to_answer_count": ("To answer ({count})", "待答复（{count}）"),
    "mine.to_plan_count": ("Corrective actions to enter ({count})", "待填纠正措施（{count}）"),
    "mine.in_progress_count": ("In progress ({count})", "整改中（{count}）"),
    "mine.rest_count": ("Other problems ({count})", "其他问题（{count}）"),
    "mine.rest_caption": (
        "Disputed problems wait for the quality department's ruling; others wait for"
        " verification or are closed.",
        "有异议的问题等待质量部门裁定；其余等待验证或已关闭。",
    ),
    "mine.show_closed": ("Show closed problems", "显示已关闭的问题"),
    "mine.nothing": ("Nothing here.", "暂无。"),
    "mine.pick": ("Problem", "问题"),
    "mine.found": (
        "Found on {day} at **{unit}**: part {part}, operation {op}, defect {code},"
        " {severity}, quantity {quantity}.",
        "{day} 由 **{unit}** 发现：零件 {part}，工序 {op}，"
        "缺陷 {code}，{severity}，数量 {quantity}。",
    ),
    "mine.why": (
        "Why your unit: the defect can come from **{unit}** operation {op} ({category});"
        " path {path}; escapes: {escapes}.",
        "判定依据：缺陷可能来自 **{unit}** 的工序 {op}（{category}）；"
        "路径 {path}；漏检：{escapes}。",
    ),
    "mine.overdue": (
        "Overdue: the deadline was {deadline}.",
        "已超期：整改期限为 {deadline}。",
    ),
    "mine.accept": ("Accept: my unit is responsible", "接受：本单位负责"),
    "mine.dispute_reason": ("Reason for a dispute", "异议理由"),
    "mine.dispute": ("Dispute", "提出异议"),
    "mine.accepted": ("Problem {ref} accepted.", "已接受问题 {ref}。"),
    "mine.disputed": (
        "Problem {ref} disputed: the quality department rules it.",
        "已对问题 {ref} 提出异议，由质量部门裁定。",
    ),
    "mine.shared": ("Responsibility is shared: {shares}", "责任共担：{shares}"),
    "mine.root_cause": ("Root cause", "根本原因"),
    "mine.actions": ("Corrective actions", "纠正措施"),
    "mine.deadline": ("Deadline", "完成期限"),
    "mine.deadline_help": (
        "The deadline set by the ruling. You may bring it earlier; only the quality"
        " department can move it later.",
        "默认为裁定时设定的期限。可以提前；推迟只能由质量部门决定。",
    ),
    "mine.plan": ("Save the corrective action", "保存纠正措施"),
    "mine.planned": (
        "Corrective action of {ref} saved.",
        "问题 {ref} 的纠正措施已保存。",
    ),
    "mine.not_effective": (
        "The last verification found the action not effective:",
        "上次验证认为措施无效：",
    ),
    "mine.revise": ("Revise the corrective action", "修订纠正措施"),
    "mine.revise_help": (
        "Change the root cause and the actions before asking for verification again.",
        "再次申请验证前，修改根本原因和纠正措施。",
    ),
    "mine.verify_note": ("Note for the verification (optional)", "验证申请说明（可选）"),
    "mine.request_verification": ("Action done: ask for verification", "措施已完成：申请验证"),
    "mine.owner_asks": (
        "The action is {owner}'s: {owner} asks for verification once it is done.",
        "该措施由 {owner} 负责：完成后由 {owner} 申请验证。",
    ),
    "mine.verification_asked": (
        "Verification of {ref} asked from the quality department.",
        "已向质量部门申请验证问题 {ref}。",
    ),
    "mine.found_by_us": ("Found by my unit", "本单位发现的问题"),
    "mine.found_caption": (
        "The problems {unit} reported, newest first: where each stands, the responsible units"
        " and their shares once settled, the deadline and the evidence. Read only: the"
        " proposed unit answers, the quality department rules and verifies.",
        "{unit} 报告的问题，最新的在前：处理进度、确定后的责任单位及比例、整改期限和证据。"
        "仅供查看：由建议责任单位答复，质量部门裁定和验证。",
    ),
    "mine.found_closed": ("Closed problems shown", "显示的已关闭问题"),
    "mine.found_closed.none": ("none", "不显示"),
    "mine.found_closed.3": ("closed in the last 3 months", "近 3 个月内关闭的"),
    "mine.found_closed.12": ("closed in the last 12 months", "近 12 个月内关闭的"),
    "mine.found_closed.all": ("all", "全部"),
    "mine.found_left_out_before": (
        "{count} problems closed before {day} are not shown: choose a longer period to see them.",
        "{day} 之前关闭的 {count} 个问题未显示：选择更长的时间范围即可查看。",
    ),
    "mine.found_left_out": (
        "{count} closed problems are not shown: choose a period to see them.",
        "{count} 个已关闭的问题未显示：选择时间范围即可查看。",
    ),
    "mine.closed_on": ("Closed on {day}.", "关闭日期：{day}。"),
    # quality desk
    "desk.intro": (
        "Rule disputes and undetermined problems, follow deadlines, verify corrective actions.",
        "裁定争议和无法判定的问题，跟踪期限，验证纠正措施。",
    ),
    "desk.queue": ("Queue", "队列"),
    "desk.queue.rule": ("to rule", "待裁定"),
    "desk.queue.overdue": ("overdue", "已超期"),
    "desk.queue.verification": ("awaiting verification", "待验证"),
    "desk.queue.open": ("all open", "全部未关闭"),
    "desk.queue_empty": ("This queue is empty.", "该队列为空。"),
    "desk.pick": ("Problem", "问题"),
    "desk.undetermined_short": ("undetermined", "无法判定"),
    "desk.found": (
        "Found on {day} at **{unit}**, operation {op}; defect {code}, {severity}, quantity"
        " {quantity}; disposition {disposition}; cost {cost}; lot {lot}.",
        "{day} 由 **{unit}** 在工序 {op} 发现；缺陷 {code}，{severity}，数量 {quantity}；"
        "处置 {disposition}；损失 {cost}；批次 {lot}。",
    ),
    "desk.responsibility": (
        "Proposed: **{proposed}** · responsible: **{responsible}** · escapes: {escapes}"
        " · counts in {month}",
        "建议：**{proposed}** · 责任单位：**{responsible}** · 漏检：{escapes} · 计入月份 {month}",
    ),
    "desk.overdue": ("Overdue: the deadline was {deadline}.", "已超期：整改期限为 {deadline}。"),
    "desk.tab.trace": ("Trace", "追溯"),
    "desk.retraced.to": (
        "Traced again with today's defect catalogue, this defect points first to **{unit}**.",
        "按当前缺陷目录重新追溯，该缺陷首先指向 **{unit}**。",
    ),
    "desk.retraced.none": (
        "Traced again with today's defect catalogue, no operation upstream can have caused"
        " this defect.",
        "按当前缺陷目录重新追溯，上道没有可能造成该缺陷的工序。",
    ),
    "desk.retraced.was": (
        "When it was reported the trace proposed **{unit}**: that proposal stands until the"
        " quality department rules.",
        "上报时追溯建议的是 **{unit}**：在质量部门裁定之前，该建议有效。",
    ),
    "desk.retraced.was_none": (
        "When it was reported the trace proposed no unit: the quality department rules it.",
        "上报时追溯未能建议责任单位：由质量部门裁定。",
    ),
    "desk.tab.history": ("History", "处理记录"),
    "desk.tab.action": ("Corrective action", "纠正措施"),
    "desk.tab.evidence": ("Evidence", "证据"),
    "desk.no_action": ("No corrective action entered yet.", "尚未填写纠正措施。"),
    "desk.verified_by": ("Verified by {who}:", "验证人 {who}："),
    "desk.rule": ("Ruling", "责任裁定"),
    "desk.rule_caption": (
        "Name the responsible units and their shares (summing to 1), after the joint review with"
        " production and the finding unit.",
        "经与生产部门和发现单位共同评审后，确定责任单位及其比例（合计为 1）。",
    ),
    "desk.rule_units": ("Responsible units", "责任单位"),
    "desk.rule_units_help": (
        "Changing the units splits the shares evenly; adjust them below.",
        "更改单位后比例平均分配，可在下方调整。",
    ),
    "desk.share": ("Share of {unit}", "{unit} 的比例"),
    "desk.share_total": ("Shares sum to {total}", "比例合计 {total}"),
    "desk.rule_reason": ("Reason of the ruling", "裁定理由"),
    "desk.rule_deadline": ("Deadline of the corrective action", "整改期限"),
    "desk.rule_submit": ("Rule", "裁定"),
    "desk.ruled": ("Problem {ref} ruled.", "问题 {ref} 已裁定。"),
    "desk.verify": ("Verification of the corrective action", "纠正措施验证"),
    "desk.verify_effective": ("Result", "验证结论"),
    "desk.effective": ("effective: close the problem", "有效：关闭问题"),
    "desk.not_effective_option": (
        "not effective: back to the responsible unit",
        "无效：退回责任单位",
    ),
    "desk.verify_on": ("Verified on", "验证日期"),
    "desk.verify_note": ("What was checked", "验证内容"),
    "desk.verify_submit": ("Record the verification", "提交验证结论"),
    "desk.closed": (
        "Problem {ref} verified effective and closed.",
        "问题 {ref} 验证有效，已关闭。",
    ),
    "desk.not_effective": (
        "Problem {ref} sent back to the responsible unit.",
        "问题 {ref} 已退回责任单位。",
    ),
}
