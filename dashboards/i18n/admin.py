"""Texts of the month close, the master-data and the audit-trail pages."""

STRINGS = {
    # --- month close ---------------------------------------------------------------
    "close.title": ("Month close · {month}", "月度关账 · {month}"),
    "close.status_open": (
        "This month is open: the figures below are a preview computed from the scores and"
        " problems stored now, and change until the month is closed.",
        "本月尚未关账：以下数字是按当前已存的评分和质量问题计算的预览，关账前仍会变化。",
    ),
    "close.status_closed": (
        "This month is closed (run {run}, scheme {scheme}): the figures below are the stored"
        " results; scores and rulings can no longer change them.",
        "本月已关账（第 {run} 次计算，评价方案 {scheme}）：以下为已存的结果，"
        "评分和裁定不能再修改。",
    ),
    "close.completeness": ("Completeness", "完整性"),
    "close.forms_owed": ("Forms owed", "应交评价表"),
    "close.forms_submitted": ("Forms submitted", "已交评价表"),
    "close.forms_missing": ("Forms missing", "缺交评价表"),
    "close.nothing_owed": (
        "No unit owes a form this month: no unit supplied another.",
        "本月没有单位需要交评价表：没有供需关系。",
    ),
    "close.all_forms_in": ("Every form owed this month is in.", "本月应交的评价表已全部提交。"),
    "close.reminders": (
        "**Reminders** — these units still owe forms for the suppliers listed:",
        "**催交清单** —— 以下单位还欠所列上道单位的评价表：",
    ),
    "close.col.rater": ("rater unit", "评价单位"),
    "close.col.missing_count": ("forms missing", "缺交数"),
    "close.col.owes_for": ("owes forms for", "欠交的被评单位"),
    "close.flags": ("Flags", "标记"),
    "close.no_flags": ("No unit is flagged this month.", "本月没有单位被标记。"),
    "close.flags_caption": (
        "A flag marked (as a rater) is about the forms the unit gave its suppliers: it does not"
        " change the unit's own K.",
        "标注（作为评价单位）的标记针对该单位给上道单位的评价表，不影响该单位自身的系数 K。",
    ),
    "close.col.unit": ("unit", "单位"),
    "close.col.flag": ("flag", "标记"),
    "close.col.meaning": ("meaning", "含义"),
    "close.col.notes": ("notes", "说明"),
    # a flag on a unit as a rater is about the forms it gave its suppliers, not its own K
    "close.flag.no-scores.name": ("no scores", "无评分"),
    "close.flag.no-scores.help": (
        "no complete form this month: the satisfaction term is 0",
        "本月没有完整的评价表：满意度项按 0 计",
    ),
    "close.flag.missing-forms.name": ("missing forms (as a rater)", "缺交评价表（作为评价单位）"),
    "close.flag.missing-forms.help": (
        "owed forms this month and submitted none",
        "本月应交评价表但一份也没有提交",
    ),
    "close.flag.uniform-scores.name": ("uniform scores (as a rater)", "评分雷同（作为评价单位）"),
    "close.flag.uniform-scores.help": (
        "gave every supplier the maximum on every criterion three months running",
        "连续三个月对所有上道单位的所有指标都打满分",
    ),
    "close.flag.retaliation-suspect.name": (
        "retaliation suspected (as a rater)",
        "疑似报复性评分（作为评价单位）",
    ),
    "close.flag.retaliation-suspect.help": (
        "scored a supplier 20+ points below its own average the month after that supplier"
        " reported a problem it was made responsible for",
        "在某上道单位报告的问题判其负责后的次月，给该单位的评分比自己以往平均低 20 分以上",
    ),
    "close.flag.uncalibrated.name": ("uncalibrated (as a rater)", "未校准（作为评价单位）"),
    "close.flag.uncalibrated.help": (
        "calibration is on, but the rater has too few forms or no spread to calibrate",
        "已启用校准，但该评价单位的评价表太少或没有离散度，无法校准",
    ),
    "close.coefficients": ("Quality coefficients", "质量考核系数"),
    "close.preview_caption": (
        "Preview: computed now with the scheme in force; closing stores exactly these figures"
        " unless scores or problems change first.",
        "预览：按当前生效的评价方案计算；若关账前评分或问题没有变化，关账时将存储这些数字。",
    ),
    "close.stored_caption": (
        "Stored at the close; the export below holds the same figures.",
        "关账时存储的结果；下方导出文件与此一致。",
    ),
    "close.col.satisfaction": ("satisfaction S", "满意度 S"),
    "close.col.raters": ("raters", "评价单位数"),
    "close.col.target": ("target", "目标"),
    "close.col.term": ("satisfaction term", "满意度项"),
    "close.col.defect": ("defect points", "缺陷扣分"),
    "close.col.overdue": ("overdue points", "超期扣分"),
    "close.col.escape": ("escape points", "漏检扣分"),
    "close.col.penalty": ("penalty points", "扣分合计"),
    "close.col.k": ("K", "系数 K"),
    "close.col.flags": ("flags", "标记"),
    "close.download_csv": ("Download CSV", "下载 CSV"),
    "close.download_xlsx": ("Download XLSX", "下载 XLSX"),
    "close.decomposition": ("How a unit's coefficient came about", "单位系数的构成"),
    "close.unit": ("Unit", "单位"),
    "close.step.start": ("start", "基数"),
    "close.step.satisfaction": ("satisfaction", "满意度"),
    "close.step.defect": ("defects", "缺陷"),
    "close.step.overdue": ("overdue", "超期"),
    "close.step.escape": ("escapes", "漏检"),
    "close.step.clamp": ("clamp", "限幅"),
    "close.step.coefficient": ("K", "系数 K"),
    "close.term_formula": (
        "Satisfaction term = alpha × (S {satisfaction} − target {target}) / 100 = {term};"
        " each penalty lowers K by its points / 100.",
        "满意度项 = alpha ×（S {satisfaction} − 目标 {target}）/ 100 = {term}；"
        "每项扣分使 K 降低 扣分 / 100。",
    ),
    "close.no_satisfaction": (
        "No complete form this month: the satisfaction term is 0.",
        "本月没有完整的评价表：满意度项按 0 计。",
    ),
    "close.clamped": (
        "Clamped: the formula gives {raw}, outside the scheme's limits, so K is {k}.",
        "已限幅：公式结果为 {raw}，超出评价方案的上下限，因此 K 取 {k}。",
    ),
    "close.raters_heading": ("**Raters** (weight by supply)", "**评价单位**（按供货量加权）"),
    "close.col.weight": ("weight", "权重"),
    "close.col.form": ("form score", "评价表得分"),
    "close.col.used": ("score used", "采用得分"),
    "close.penalties_heading": (
        "**Penalties** and the problems behind them",
        "**扣分**及对应的质量问题",
    ),
    "close.col.penalty_kind": ("penalty", "扣分类型"),
    "close.col.problem": ("problem", "质量问题"),
    "close.col.detail": ("severity or deadline", "严重程度或期限"),
    "close.col.share": ("share", "责任比例"),
    "close.col.points": ("points", "扣分"),
    "close.close_heading": ("Close the month", "关账"),
    "close.close_caption": (
        "Closing locks the month's scores, handovers and rulings and stores every unit's"
        " coefficient. It can be reopened with a reason.",
        "关账将锁定本月的评分、交接和裁定，并存储各单位的系数。之后可填写原因重新打开。",
    ),
    "close.confirm": (
        "I have checked the completeness and the flags of {month}",
        "我已核对 {month} 的完整性和标记",
    ),
    "close.close_button": ("Close {month}", "关闭 {month}"),
    "close.closed_done": ("{month} is closed (run {run}).", "{month} 已关账（第 {run} 次计算）。"),
    "close.reopen_heading": ("Reopen the month", "重新打开本月"),
    "close.reopen_caption": (
        "Reopening unlocks the month; closing it again computes and stores a new run."
        " Earlier runs are kept.",
        "重新打开后本月解锁；再次关账将重新计算并存储新的一次结果，以前的结果保留。",
    ),
    "close.reopen_reason": ("Reason (required)", "原因（必填）"),
    "close.reopen_button": ("Reopen", "重新打开"),
    "close.reopened_done": ("{month} is open again.", "{month} 已重新打开。"),
    # --- routings and master data --------------------------------------------------
    "md.title": ("Master data · {plant}", "基础数据 · {plant}"),
    "md.tab.units": ("Units", "单位"),
    "md.tab.routings": ("Routings", "工艺路线"),
    "md.tab.import": ("Import", "导入"),
    "md.tab.users": ("Users", "用户"),
    "md.tab.scheme": ("Scoring scheme", "评价方案"),
    "md.no_units": (
        "This plant has no unit yet: import a units file.",
        "本工厂还没有单位：请导入单位文件。",
    ),
    "md.units_caption": ("{count} units", "共 {count} 个单位"),
    # a unit without a target of its own is held to the scheme's
    "md.target_scheme": ("{target} (the scheme's)", "{target}（评价方案）"),
    "md.col.parent": ("parent", "上级单位"),
    "md.no_routings": (
        "This plant has no routing yet: import a routings file.",
        "本工厂还没有工艺路线：请导入工艺路线文件。",
    ),
    "md.source": ("Routings", "工艺路线"),
    "md.source_declared": ("declared", "设计工艺"),
    "md.source_observed": ("observed in production records", "生产记录中的实际路线"),
    "md.part": ("Part", "零件"),
    "md.col.version": ("version", "版本"),
    "md.col.effective": ("effective from", "生效日期"),
    "md.always": ("from the start", "始终"),
    "md.col.operations": ("operations", "工序数"),
    "md.col.units": ("units", "单位"),
    "md.col.in_force": ("in force today", "今日生效"),
    "md.version": ("Version", "版本"),
    "md.version_label": ("version {version}", "第 {version} 版"),
    "md.in_force": ("in force", "生效中"),
    "md.yes": ("yes", "是"),
    "md.no": ("no", "否"),
    "md.inspection": ("inspection", "检验"),
    "md.graph_caption": (
        "Each arrow points from an operation to the one it feeds; diamonds are inspections;"
        " dashed orange arrows loop back (rework).",
        "箭头从工序指向其下道工序；菱形为检验工序；橙色虚线箭头表示返工回路。",
    ),
    "md.col.op": ("operation", "工序"),
    "md.col.unit": ("unit", "单位"),
    "md.col.category": ("category", "工艺类别"),
    "md.col.after": ("after", "前道工序"),
    "md.import_caption": (
        "A file is checked row by row and imported into plant {plant} only when every row"
        " is right; otherwise nothing changes.",
        "文件逐行校验，全部正确才导入工厂 {plant}；否则不做任何修改。",
    ),
    "md.import_kind": ("Kind of file", "文件类型"),
    "md.import_columns": (
        "Columns: {required}; optional: {optional}",
        "必填列：{required}；可选列：{optional}",
    ),
    "md.import_file": ("CSV or XLSX file", "CSV 或 XLSX 文件"),
    "md.import_effective": ("Effective from", "生效日期"),
    "md.import_effective_help.routings": (
        "Changed parts get a new routing version in force from this date, and so do new parts"
        " once a month is closed.",
        "有变化的零件将生成自该日期起生效的新工艺路线版本；有月份关账后，新零件的首个版本也自该日期起生效。",
    ),
    "md.import_effective_help.service-relations": (
        "Changed weights, relations ended (weight 0), and relations listed for the first time"
        " once a month is closed, are in force from this date.",
        "变更的权重、已终止的服务关系（权重 0），"
        "以及有月份关账后首次列出的服务关系，自该日期起生效。",
    ),
    "md.import_button": ("Import", "导入"),
    "md.import_no_file": ("Choose a file first.", "请先选择文件。"),
    "md.import_rejected": (
        "{file}: {count} error(s), nothing was imported",
        "{file}：{count} 处错误，未导入任何数据",
    ),
    "md.import_done": (
        "{file}: {kind} into plant {plant}: {rows} rows, {created} created, {updated} updated,"
        " {unchanged} unchanged",
        "{file}：{kind} 导入工厂 {plant}：{rows} 行，新增 {created}，更新 {updated}，"
        "未变 {unchanged}",
    ),
    "md.col.username": ("username", "用户名"),
    "md.col.display_name": ("display name", "显示名称"),
    "md.col.role": ("role", "角色"),
    "md.col.plant": ("plant", "工厂"),
    "md.col.active": ("active", "启用"),
    "md.add_user": ("**Add a user**", "**添加用户**"),
    "md.no_unit": ("no unit", "不属于单位"),
    "md.unit_help": (
        "Supervisors and inspectors belong to a unit of this plant; other roles to none.",
        "单位负责人和检验员必须属于本工厂的某个单位；其他角色不属于单位。",
    ),
    "md.password": ("Password", "密码"),
    "md.password_help": (
        "At least 8 characters, not only spaces.",
        "至少 8 个字符，不能全是空格。",
    ),
    "md.add_user_button": ("Add user", "添加用户"),
    "md.user_added": ("User {username} added.", "已添加用户 {username}。"),
    "md.disable_user": ("**Disable a user**", "**停用用户**"),
    "md.disable_button": ("Disable", "停用"),
    "md.disable_confirm": (
        "Disable this account: the user is signed out at once",
        "停用此账户：该用户将立即退出登录",
    ),
    "md.disable_unconfirmed": (
        "Tick the box to confirm first: nobody was disabled.",
        "请先勾选确认框：未停用任何账户。",
    ),
    "md.user_disabled": ("User {username} disabled.", "已停用用户 {username}。"),
    "md.enable_user": ("**Enable a user again**", "**重新启用用户**"),
    "md.none_disabled": ("No account is disabled.", "没有已停用的账户。"),
    "md.enable_help": (
        "A disabled account signs in again with its username, role, unit and password,"
        " and keeps its audit trail.",
        "已停用的账户以原用户名、角色、单位和密码重新登录，审计记录保持不变。",
    ),
    "md.enable_button": ("Enable", "启用"),
    "md.user_enabled": ("User {username} enabled again.", "已重新启用用户 {username}。"),
    "md.change_role": ("**Change a role or unit**", "**变更角色或单位**"),
    "md.change_role_button": ("Change role", "变更角色"),
    "md.role_changed": (
        "User {username} is now {role}; the sessions they had open have ended.",
        "用户 {username} 现为 {role}；其已登录的会话已结束。",
    ),
    "md.reset_password": ("**Reset a password**", "**重置密码**"),
    "md.new_password": ("New password", "新密码"),
    "md.reset_button": ("Reset password", "重置密码"),
    "md.password_reset": (
        "The password of {username} is reset.",
        "已重置 {username} 的密码。",
    ),
    "md.criteria": ("**Criteria**", "**评价指标**"),
    "md.col.description": ("description", "说明"),
    "md.col.weight": ("weight", "权重"),
    "md.col.weight_share": ("share of the form", "占比"),
    "md.col.scale": ("scale", "分值范围"),
    "md.parameters": ("**Targets and limits**", "**目标与上下限**"),
    "md.col.parameter": ("parameter", "参数"),
    "md.col.value": ("value", "取值"),
    "md.param.target": ("satisfaction target", "满意度目标"),
    "md.param.alpha": ("alpha (weight of the satisfaction term)", "alpha（满意度项权重）"),
    "md.param.k_range": ("K limits", "K 的上下限"),
    "md.param.comment_below": ("comment needed below", "低于此分须填写意见"),
    "md.param.calibration": ("calibration", "校准方式"),
    "md.calibration.none": ("none", "不校准"),
    "md.calibration.zscore": (
        "z-score: each rater's forms to the plant's mean and spread",
        "标准分（z-score）：各评价单位的评分按全厂均值和离散度折算",
    ),
    "md.penalties": ("**Penalty points**", "**扣分标准**"),
    "md.col.penalty": ("penalty", "扣分项"),
    "md.col.points": ("points", "分值"),
    "md.penalty.minor": ("minor problem", "一般问题"),
    "md.penalty.major": ("major problem", "重要问题"),
    "md.penalty.critical": ("critical problem", "严重问题"),
    "md.penalty.overdue": ("overdue problem", "超期未关闭问题"),
    "md.penalty.escape": ("escape (inspection let it through)", "漏检"),
    "md.unit_targets": ("**Units with their own target**", "**单独设定目标的单位**"),
    "md.no_unit_targets": (
        "Every unit has the scheme's target {target}.",
        "所有单位均采用方案目标 {target}。",
    ),
    "md.scheme_hash": ("**Scheme hash** (SHA-256)", "**方案哈希值**（SHA-256）"),
    "md.scheme_caption": (
        "A closed month records the hash of the scheme it was computed with. Another scheme"
        " is put in force with `noac scheme set FILE`.",
        "每个已关账月份都记录计算时所用方案的哈希值。使用 `noac scheme set FILE` 启用新方案。",
    ),
    # --- audit trail ---------------------------------------------------------------
    "audit.title": ("Audit trail", "审计记录"),
    "audit.caption": (
        "Every change, with who made it, when and why; newest first.",
        "每一项修改及其操作人、时间和原因；最新的在前。",
    ),
    "audit.entity": ("Kind of record", "对象类型"),
    "audit.all": ("all", "全部"),
    "audit.since": ("Since", "起始日期"),
    "audit.page": ("Page (of {pages})", "页码（共 {pages} 页）"),
    "audit.paged": (
        "Records {first}–{last} of {total}, newest first: older ones are on the next pages.",
        "第 {first}–{last} 条，共 {total} 条，最新的在前：更早的记录在后面的页。",
    ),
    "audit.none": ("No record matches the filters.", "没有符合条件的记录。"),
    # what the trail records, in words (the filter still selects by the code `noac audit
    # --entity` takes)
    "audit.action.accept": ("accept responsibility", "接受"),
    "audit.action.add": ("add", "添加"),
    "audit.action.attach": ("attach evidence", "添加证据"),
    "audit.action.change-role": ("change role", "变更角色"),
    "audit.action.close": ("close month", "关账"),
    "audit.action.disable": ("disable", "停用"),
    "audit.action.dispute": ("dispute responsibility", "提出异议"),
    "audit.action.enable": ("enable", "启用"),
    "audit.action.import": ("import", "导入"),
    "audit.action.lock": ("lock account", "锁定账户"),
    "audit.action.login": ("sign in", "登录"),
    "audit.action.login-failed": ("failed sign-in", "登录失败"),
    "audit.action.plan-action": ("plan corrective action", "填写纠正措施"),
    "audit.action.reopen": ("reopen month", "重新打开"),
    "audit.action.report": ("report", "上报"),
    "audit.action.request-verification": ("request verification", "申请验证"),
    "audit.action.reset-password": ("reset password", "重置密码"),
    "audit.action.restore": ("restore backup", "恢复备份"),
    "audit.action.rule": ("rule responsibility", "裁定"),
    "audit.action.save": ("save", "保存"),
    "audit.action.set": ("set", "设定"),
    "audit.action.submit": ("submit", "提交"),
    "audit.action.verify": ("verify corrective action", "验证"),
    "audit.entity.database": ("database", "数据库"),
    "audit.entity.defect-codes": ("defect codes", "缺陷代码"),
    "audit.entity.defects": ("defect records", "缺陷记录"),
    "audit.entity.events": ("production records", "生产记录"),
    "audit.entity.form": ("scoring form", "评分表"),
    "audit.entity.handovers": ("handovers", "交接"),
    "audit.entity.month": ("month", "月份"),
    "audit.entity.plant": ("plant", "工厂"),
    "audit.entity.quality_problem": ("quality problem", "质量问题"),
    "audit.entity.routings": ("routings", "工艺路线"),
    "audit.entity.scheme": ("scoring scheme", "评价方案"),
    "audit.entity.scores": ("scores", "评分"),
    "audit.entity.service-relations": ("service relations", "服务关系"),
    "audit.entity.units": ("units", "单位"),
    "audit.entity.user": ("user", "用户"),
    "audit.col.when": ("when ({zone})", "时间（{zone}）"),
    "audit.col.who": ("who", "操作人"),
    "audit.col.action": ("action", "操作"),
    "audit.col.entity": ("kind of record", "对象类型"),
    "audit.col.id": ("record", "对象"),
    "audit.col.reason": ("reason", "原因"),
    "audit.record": ("One record", "单条记录"),
    "audit.pick": ("Record", "记录"),
    "audit.reason": ("Reason: {reason}", "原因：{reason}"),
    "audit.before": ("**Before**", "**修改前**"),
    "audit.after": ("**After**", "**修改后**"),
    "audit.empty": ("nothing", "无"),
    "audit.verify": ("Verify the trail", "校验审计记录"),
    "audit.verify_help": (
        "Each record is chained to the one before it: checks that none was changed or taken"
        " out since it was written.",
        "每条记录都与前一条链接：校验写入后没有记录被修改或删除。",
    ),
    "audit.verified": (
        "The audit trail verifies: {records} records, head `{head}`.",
        "审计记录校验通过：共 {records} 条，链头 `{head}`。",
    ),
    "audit.changed": (
        "The audit trail does not verify: record {id} was changed after it was written.",
        "审计记录校验未通过：第 {id} 条记录在写入后被修改过。",
    ),
    "audit.missing_first": (
        "The audit trail does not verify: record {id} does not start the trail, records before"
        " it are missing.",
        "审计记录校验未通过：第 {id} 条记录不是审计记录的开头，它之前的记录缺失。",
    ),
    "audit.missing": (
        "The audit trail does not verify: record {id} does not follow record {previous},"
        " records between them are missing.",
        "审计记录校验未通过：第 {id} 条记录与第 {previous} 条记录不衔接，两者之间的记录缺失。",
    ),
    "audit.head": ("Head written down earlier (optional)", "此前记下的链头（可选）"),
    "audit.head_help": (
        "The head a month close printed, or an earlier verification showed, kept outside"
        " NOAC: the check finds its record. A trail cut or rewritten since has it no more.",
        "月度关账打印的或此前校验显示的链头（保存在 NOAC 之外）：校验会找到它对应的记录。"
        "此后被截断或重写的审计记录中将找不到它。",
    ),
    "audit.head_found": (
        "Head `{head}` is record {id}: the trail since follows from it.",
        "链头 `{head}` 是第 {id} 条记录：此后的审计记录由它衔接而来。",
    ),
    "audit.head_missing": (
        "No record has the head `{head}` written down earlier: the trail was cut or rewritten"
        " since.",
        "没有记录具有此前记下的链头 `{head}`：审计记录此后被截断或重写过。",
    ),
}
