"""Texts of the pages "Score my suppliers" and "Feedback to my unit"."""

STRINGS = {
    "score.no_unit": (
        "This page is for the supervisor of a unit; your account belongs to no unit.",
        "此页面供单位负责人使用；您的账号不属于任何单位。",
    ),
    "score.intro": (
        "{unit} scores every unit that supplied it in {month}: you are their next operation,"
        " their internal customer.",
        "{unit} 对 {month} 向本单位交付的每个上道单位评分：您是他们的下道工序，即内部顾客。",
    ),
    "score.no_suppliers": (
        "No unit supplied {unit} in {month}: no handover was recorded, and neither the routings"
        " in force at the end of the month nor the service relations lead to {unit}. There is"
        " nothing to score; if this is wrong, ask the quality department to check the routings.",
        "{month} 没有单位向 {unit} 交付：既没有交接记录，月末生效的工艺路线和服务关系中也没有通向"
        " {unit} 的上道。本月无需评分；如有误，请质量部门核对工艺路线。",
    ),
    "score.closed": (
        "{month} is closed: its scores can no longer change. The values below are read-only.",
        "{month} 已关账，评分不能再修改。以下数值仅供查看。",
    ),
    "score.before_closed": (
        "{month} comes before {last}, the last closed month: months close in order, so its"
        " scores can no longer change. The values below are read-only.",
        "{month} 在最近已关账的 {last} 之前：各月按顺序关账，其评分不能再修改。以下数值仅供查看。",
    ),
    "score.due": (
        "Forms for {month} are due on **{day}**.",
        "{month} 的评分表截止日期：**{day}**。",
    ),
    "score.due_passed": (
        "The deadline has passed: submit the missing forms now.",
        "已过截止日期：请立即提交缺少的评分表。",
    ),
    "score.missing": (
        "Still missing: {count} of {total} forms — {units}.",
        "尚缺 {total} 份中的 {count} 份评分表：{units}。",
    ),
    "score.all_done": (
        "All {count} forms for {month} are submitted. You can still change them until the month"
        " is closed.",
        "{month} 的 {count} 份评分表已全部提交。关账前仍可修改。",
    ),
    "score.rules": (
        "Each criterion is scored from its lowest to its highest value. A value below {threshold}"
        " needs a comment saying why: a form without one is refused.",
        "每项指标按其分值范围评分。低于 {threshold} 分必须填写原因说明，否则评分表将被拒收。",
    ),
    "score.previous": ("What you submitted for {month}", "{month} 您提交的评分"),
    "score.previous_none": (
        "{unit} submitted no form for {month}.",
        "{unit} 在 {month} 没有提交评分表。",
    ),
    "score.card_caption": ("supply weight {weight}", "供需权重 {weight}"),
    "score.status_submitted": ("submitted, form score {score}", "已提交，评分表得分 {score}"),
    "score.status_done": ("submitted", "已提交"),
    "score.status_incomplete": (
        "incomplete: some criteria are not scored",
        "不完整：部分指标未评分",
    ),
    "score.status_new": ("not submitted yet", "尚未提交"),
    "score.draft_loaded": (
        "Showing your draft (kept in this browser session, not in the database).",
        "显示的是您的草稿（仅保存在本次浏览器会话中，未存入数据库）。",
    ),
    "score.needs_comment": (
        "⚠ Below {threshold}: a comment is required, or the form is refused.",
        "⚠ 低于 {threshold} 分：必须填写说明，否则评分表将被拒收。",
    ),
    "score.has_comment": (
        "Below {threshold}: your comment explains it.",
        "低于 {threshold} 分：已填写说明。",
    ),
    "score.comment_label": ("Comment on {criterion}", "{criterion} 说明"),
    "score.entered_score": (
        "Form score of the values entered: {score} of 100",
        "按当前填写数值计算的评分表得分：{score}（满分 100）",
    ),
    "score.save_draft": ("Save draft", "保存草稿"),
    "score.draft_help": (
        "Keeps the values in this browser session only: nothing is saved in the database, and"
        " the draft is lost when you sign out. Submit to make the scores count.",
        "仅在本次浏览器会话中保留数值：不会存入数据库，退出登录后草稿丢失。提交后评分才生效。",
    ),
    "score.reload": ("Reload saved values", "重新载入已保存数值"),
    "score.reload_help": (
        "Discards your changes and the draft and shows the values stored now.",
        "放弃修改和草稿，显示当前已保存的数值。",
    ),
    "score.submit": ("Submit", "提交"),
    "score.draft_kept": (
        "Draft kept in this browser session only — not saved in the database, lost when you"
        " sign out. Submit to make it count.",
        "草稿仅保留在本次浏览器会话中——未存入数据库，退出登录后丢失。提交后才生效。",
    ),
    "score.reloaded": ("The saved values are shown again.", "已重新显示保存的数值。"),
    "score.submitted": (
        "Form for {supplier} submitted: form score {score}.",
        "已提交对 {supplier} 的评分表：得分 {score}。",
    ),
    "score.col_form": ("form score", "评分表得分"),
    "score.col_status": ("status", "状态"),
    "score.col_criterion": ("criterion", "指标"),
    "score.col_value": ("value", "分值"),
    "score.col_comment": ("comment", "说明"),
    "feedback.intro": (
        "How the units that {unit} supplies — its internal customers — scored it for {month}.",
        "{unit} 的下道单位（内部顾客）对其 {month} 的评分。",
    ),
    "feedback.no_forms": (
        "No forms yet for {month}: no customer has scored {unit} this month.",
        "{month} 尚无评分表：本月还没有下道单位对 {unit} 评分。",
    ),
    "feedback.expected_from": (
        "Units that may score you for {month}: {units}.",
        "{month} 可以对您评分的单位：{units}。",
    ),
    "feedback.no_customers": (
        "{unit} supplied no unit in {month}, so no one scores it this month.",
        "{unit} 在 {month} 没有向任何单位交付，因此本月无人对其评分。",
    ),
    "feedback.satisfaction": ("Satisfaction", "满意度"),
    "feedback.satisfaction_help": (
        "The form scores weighted by what you supplied each customer: a major customer weighs"
        " more than a rare one.",
        "各评分表得分按向各顾客的供货量加权：主要顾客的权重大于偶尔供货的顾客。",
    ),
    "feedback.satisfaction_help_calibrated": (
        "The form scores, each calibrated against its customer's own habits of scoring (the"
        " 'counted as' column), weighted by what you supplied each customer.",
        "各评分表得分先按该顾客自身的评分习惯校准（“计入值”一列），再按向各顾客的供货量加权。",
    ),
    "feedback.target": ("Target", "目标"),
    "feedback.forms": ("Complete forms", "完整评分表"),
    "feedback.pending": ("Not scored completely yet by: {units}.", "尚未完整评分的单位：{units}。"),
    "feedback.by_customer": ("Scores per customer, {month}", "各下道单位的评分（{month}）"),
    "feedback.col_weight": ("supply weight", "供需权重"),
    "feedback.col_used": ("counted as (calibrated)", "计入值（校准后）"),
    "feedback.comments": ("Comments", "评语"),
    "feedback.no_comments": ("No customer left a comment.", "没有下道单位留下评语。"),
    "feedback.coefficient": (
        "Quality coefficient of {unit}, {month}",
        "{unit} {month} 质量考核系数",
    ),
    "feedback.trend": ("Trend over 12 months", "近 12 个月趋势"),
    "feedback.no_trend": (
        "No complete form for {unit} between {first} and {last}: there is no trend to draw.",
        "{first} 至 {last} 期间没有对 {unit} 的完整评分表，无法绘制趋势。",
    ),
    "feedback.trend_caption": (
        "One line per customer (its form score); the dashed line is the volume-weighted"
        " satisfaction that enters the quality coefficient, the thin red dotted one the target."
        " A hollow marker is a month still open: provisional, its segment dotted.",
        "每条线代表一个下道单位的评分表得分；虚线为计入质量考核系数的加权满意度，红色细点线为目标。"
        "空心点表示尚未结账的月份：数字暂定，其线段为点线。",
    ),
    "feedback.axis_score": ("score (0–100)", "得分（0–100）"),
}
