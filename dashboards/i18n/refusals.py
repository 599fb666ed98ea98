"""The services' refusals, and the notes they give besides, in Chinese.

The services refuse in English (``NoacError``, the ``RowError`` reasons of a file), which the
command line shows as it is. A page shows a refusal with ``refusal`` (a file's rows with
``row_error``): in Chinese, its message is matched against the English texts of ``REFUSALS``
and written with their Chinese; one that matches none is shown in English. So is a note of
the services with ``note``: what an import tells of its result, what a month's close says of a
flag (stored with the month in English, read in Chinese when shown). A refusal that names a
criterion of the scoring scheme (``Criterion.label``) names it as the scheme does in Chinese.

In a text, ``{name}`` stands for what the message names: a value (a unit, a month, a file
name), shown as it is, or, under the names of ``PARTS``, a part that has its own words: a
text of this catalogue (``{reason}``, ``{what}``: "the comment", "close a month", ...), a
role or a status (``{role}``, ``{statuses}``: "proposed or disputed"), a list of values
(``{plants}``, ``{columns}``: "AERO, GARM", listed "AERO、GARM"). A text matches when
every such part has its words. ``tests/test_refusals.py`` checks that every refusal and note
the services can give on a page has its text here.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from dashboards.i18n import STRINGS, listing, t
from noac.errors import ImportRejected, NoacError, RowError
from noac.scheme import Criterion

REFUSALS: dict[str, str] = {
    # --- the database ---------------------------------------------------------------------
    "another change to the same data was being saved at that moment: try again": (
        "同一时刻另一项对相同数据的修改正在保存：请重试"
    ),
    "a value cannot be stored: {error}": "有数值无法保存：{error}",
    "the database URL (--db or NOAC_DATABASE_URL) is not one: give sqlite:///FILE or"
    " postgresql+psycopg://USER@HOST:PORT/DATABASE": (
        "数据库地址（--db 或 NOAC_DATABASE_URL）无效：请给出 sqlite:///FILE 或"
        " postgresql+psycopg://USER@HOST:PORT/DATABASE"
    ),
    "{database}: NOAC works on SQLite and PostgreSQL databases only": (
        "{database}：NOAC 只支持 SQLite 和 PostgreSQL 数据库"
    ),
    "cannot create the folder {folder} of the database {file}: {error}": (
        "无法创建数据库 {file} 的文件夹 {folder}：{error}"
    ),
    "the database file {file} does not exist: check --db or NOAC_DATABASE_URL, or create it"
    " with `noac init`": (
        "数据库文件 {file} 不存在：请检查 --db 或 NOAC_DATABASE_URL，或用 `noac init` 创建"
    ),
    "the database {database} is at schema {current}, not {head}: run `noac init` first": (
        "数据库 {database} 的结构版本为 {current}，而不是 {head}：请先运行 `noac init`"
    ),
    "the database holds no plant yet: import units first": "数据库中还没有工厂：请先导入单位",
    "the database holds several plants ({plants}): choose one with --plant": (
        "数据库中有多个工厂（{plants}）：请用 --plant 选择一个"
    ),
    # --- who may do what ------------------------------------------------------------------
    "{user} ({role}) may not {what}: that is for {roles}": (
        "{user}（{role}）无权{what}：此操作仅限{roles}"
    ),
    "{user} may not {what} in another plant": "{user} 无权在其他工厂{what}",
    "{user} ({role} of {unit}) may not {what} for {units}": (
        "{user}（{unit} 的{role}）无权为 {units} {what}"
    ),
    "import units, routings, defect codes or service relations": (
        "导入单位、工艺路线、缺陷代码或服务关系"
    ),
    "import scores, handovers or quality problems": "导入评分、交接或质量问题",
    "change the scoring scheme": "修改评价方案",
    "manage users": "管理用户",
    "add or rename plants": "添加或重命名工厂",
    "submit scores": "提交评分",
    "report a quality problem": "报告质量问题",
    "attach evidence": "添加证据",
    "read the evidence of a problem": "查看质量问题的证据",
    "accept or dispute a problem": "接受质量问题或提出异议",
    "rule responsibility": "裁定责任",
    "enter a corrective action": "填写纠正措施",
    "move a deadline later": "推迟整改期限",
    "ask for verification": "申请验证",
    "verify a corrective action": "验证纠正措施",
    "close a month": "关账",
    "reopen a month": "重新打开已关账的月份",
    "read the audit trail": "查看审计记录",
    "restore a backup over the database": "用备份覆盖恢复数据库",
    # --- users and sign-in ----------------------------------------------------------------
    "wrong username or password": "用户名或密码错误",
    "too many failed sign-ins: try again in {minutes} minute(s)": (
        "登录失败次数过多：请 {minutes} 分钟后再试"
    ),
    "unknown user '{user}'": "未知用户“{user}”",
    "unknown entity '{entity}' (entities: {known})": "未知对象“{entity}”（现有对象：{known}）",
    "user '{user}' is disabled: an administrator can enable the account again (noac users"
    " enable {user})": "用户“{user}”已被停用：管理员可以重新启用该账户（noac users enable {user}）",
    "a password needs at least {count} characters": "密码至少需要 {count} 个字符",
    "a password made only of spaces or other blank characters is refused: use letters,"
    " digits or signs": "密码不能只由空格或其他空白字符组成：请使用字母、数字或符号",
    "role '{given}' is not one of {known}": "角色“{given}”不是 {known} 之一",
    "role {role} is not bound to a unit: leave out the unit": (
        "{role}不属于任何单位：请不要选择单位"
    ),
    "role {role} belongs to a unit: give the plant and the unit": (
        "{role}必须属于某个单位：请给出工厂和单位"
    ),
    "role {role} belongs to a unit of plant {plant}: choose the unit": (
        "{role}必须属于工厂 {plant} 的某个单位：请选择单位"
    ),
    "unknown unit '{unit}' in plant {plant}": "工厂 {plant} 中没有单位“{unit}”",
    "user '{user}' is the last active administrator: add another before {change}": (
        "用户“{user}”是最后一个启用的系统管理员：{change}前请先添加另一个"
    ),
    "disabling this one": "停用此用户",
    "giving this one another role": "更改此用户的角色",
    "username": "用户名",
    "'{user}' names the local administrator in the audit trail: choose another": (
        "“{user}”是审计记录中本地管理员的名称：请另选一个"
    ),
    "user '{user}' already exists": "用户“{user}”已存在",
    "user '{user}' already exists: usernames differing only in case are the same": (
        "用户“{user}”已存在：仅大小写不同的用户名视为相同"
    ),
    "the display name is empty": "显示名称为空",
    "the display name": "显示名称",
    "you cannot disable your own account: another administrator can": (
        "不能停用自己的账号：请由另一位系统管理员停用"
    ),
    "user '{user}' is already disabled": "用户“{user}”已被停用",
    "user '{user}' is already active": "用户“{user}”已是启用状态",
    "you cannot change your own role: another administrator can": (
        "不能更改自己的角色：请由另一位系统管理员更改"
    ),
    "user '{user}' is {role} already: nothing to change": "用户“{user}”已是{role}：无需更改",
    "user '{user}' is {role} of {unit} already: nothing to change": (
        "用户“{user}”已是 {unit} 的{role}：无需更改"
    ),
    # --- plants, units, defect codes ------------------------------------------------------
    "unknown plant '{code}' (plants: {plants})": "未知工厂“{code}”（现有工厂：{plants}）",
    "unknown plant '{code}' (plants: {plants}): did you mean {other}?": (
        "未知工厂“{code}”（现有工厂：{plants}）：您指的是 {other} 吗？"
    ),
    "{reason}: an import writes into a plant the database holds; add a new plant first with:"
    " noac plants add {code} --name NAME": (
        "{reason}：导入只能写入数据库中已有的工厂；请先添加新工厂："
        "noac plants add {code} --name NAME"
    ),
    "plant {code} exists already": "工厂 {code} 已存在",
    "plant {code} would differ from plant {other} only in upper and lower case: choose another"
    " code, or use {other}": (
        "工厂 {code} 与工厂 {other} 仅有大小写之分：请另选代码，或使用 {other}"
    ),
    "plant code": "工厂代码",
    "plant name": "工厂名称",
    "plant name is empty": "工厂名称为空",
    "unit code": "单位代码",
    "category": "工艺类别",
    "defect code": "缺陷代码",
    "name is empty": "名称为空",
    "name is longer than 200 characters": "名称超过 200 个字符",
    "'{value}' is not one of {values}": "“{value}”不是 {values} 之一",
    "'{value}' already appears in row {row}": "“{value}”已出现在第 {row} 行",
    "a category is listed twice": "有工艺类别重复列出",
    "'{category}' is used by the routing of {parts}: import the routings without it first": (
        "“{category}”仍被 {parts} 的工艺路线使用：请先导入不含该工艺类别的工艺路线"
    ),
    "the categories are longer than 1000 characters": "工艺类别超过 1000 个字符",
    "unknown parent unit '{parent}'": "未知上级单位“{parent}”",
    "a unit cannot be its own parent": "单位不能是自己的上级单位",
    "the parents go round in a circle: {chain}": "上级单位形成循环：{chain}",
    "the origins are longer than 1000 characters": "来源工艺超过 1000 个字符",
    "'{origin}' is neither '{handling}' nor a category any unit performs": (
        "“{origin}”既不是“{handling}”，也不是任何单位执行的工艺类别"
    ),
    # --- routings -------------------------------------------------------------------------
    "part": "零件",
    "operation id": "工序号",
    "unknown unit '{unit}'": "未知单位“{unit}”",
    "unknown unit '{unit}' (import units first)": "未知单位“{unit}”（请先导入单位）",
    "unit '{unit}' lists no category: name one": "单位“{unit}”没有列出工艺类别：请填写一个",
    "'{value}' is not 1/0, true/false or 是/否": "“{value}”不是 1/0、true/false 或 是/否",
    "part {part}: {reason}": "零件 {part}：{reason}",
    "part {part}: a first version {reason}": "零件 {part}：首个版本{reason}",
    "part {part}: a new version {reason}": "零件 {part}：新版本{reason}",
    "part {part}: the new version must take effect after {effective} (version {version}),"
    " not {day}": "零件 {part}：新版本必须在 {effective}（第 {version} 版）之后生效，而不是 {day}",
    "plant {plant} has no routing for part '{part}'": "工厂 {plant} 没有零件“{part}”的工艺路线",
    "duplicate operation id '{op}'": "工序号“{op}”重复",
    "unit '{unit}' does not perform category '{category}' (it performs: {categories})": (
        "单位“{unit}”不执行工艺类别“{category}”（它执行：{categories}）"
    ),
    "predecessor {ops} is listed twice": "前道工序 {ops} 重复列出",
    "unknown predecessor operation '{op}'": "未知前道工序“{op}”",
    "an operation cannot follow itself": "工序不能以自己为前道工序",
    "the part has no starting operation (every operation has a predecessor)": (
        "该零件没有起始工序（每道工序都有前道工序）"
    ),
    "these operations are not reached from any starting operation: {ops} (name in after the"
    " operation each loop is entered from)": (
        "以下工序无法从任何起始工序到达：{ops}（请在 after 列写明每个回路从哪道工序进入）"
    ),
    # --- dates in force and closed months -------------------------------------------------
    "'{text}' is not a month (YYYY-MM)": "“{text}”不是月份（YYYY-MM）",
    "'{text}' is not a month (YYYY-MM): write it {month}": (
        "“{text}”不是月份（YYYY-MM）：请写作 {month}"
    ),
    "from {day} would change {month}, which is closed: take it in force from {first_open},"
    " or reopen the months from {first_month} first": (
        "自 {day} 起生效会改变已关账的 {month}：请自 {first_open} 起生效，"
        "或先重新打开 {first_month} 及以后的月份"
    ),
    "{month} is not over yet: it can be closed from {next}-01": (
        "{month} 尚未结束：自 {next}-01 起才能关账"
    ),
    "{month} is already closed (by {closer}): to close it again, reopen it first (noac reopen"
    " {month} --plant {plant} --reason TEXT)": (
        "{month} 已由 {closer} 关账：如需再次关账，请先重新打开（noac reopen {month} --plant"
        " {plant} --reason TEXT）"
    ),
    "a month's close reads the months before it": "月结要读取之前各月的数据",
    "{month} is still open: close it before {later} ({reason})": (
        "{month} 尚未关账：请先关账 {month}，再关账 {later}（{reason}）"
    ),
    "{count} other month": "另外 {count} 个月",
    "{count} other months": "另外 {count} 个月",
    "{month} is still open, and {what} before {later}: close them in order from {month}"
    " ({reason})": (
        "{month} 尚未关账，{later} 之前还有{what}未关账：请从 {month} 起按顺序关账（{reason}）"
    ),
    "still open before {month}, the first month of each plant: {plants}. No plant was closed:"
    " close those months in order first, or the other plants without them ({reason})": (
        "{month} 之前尚未关账的月份（各工厂最早的一个月）：{plants}。没有关账任何工厂："
        "请先按顺序关账这些月份，或不含这些工厂关账其他工厂（{reason}）"
    ),
    "{later} is closed after {month}: reopen the months from the last closed one back,"
    " {later} first ({reason})": (
        "{later} 在 {month} 之后已关账：请从最后关账的月份起倒序重开，先重开 {later}（{reason}）"
    ),
    "{month} is before {last}, the last closed month of plant {plant}: months close in order,"
    " so it counts as closed already (the months closed after it read it empty)": (
        "{month} 早于工厂 {plant} 最后关账的月份 {last}：月份按顺序关账，"
        "因此该月已视为关账（之后关账的月份按无数据读取了该月）"
    ),
    "{month} is already closed in {plants}: no plant was closed; close the others without"
    " them": "{month} 在 {plants} 已关账：本次没有关闭任何工厂；请不含这些工厂关闭其余工厂",
    "reopening a month needs a reason": "重新打开月份需要填写原因",
    "the reason": "原因",
    "{month} is not closed": "{month} 尚未关账",
    "{month} is not closed: close it first (noac close {month} --plant {plant})": (
        "{month} 尚未关账：请先关账（noac close {month} --plant {plant}）"
    ),
    "{month} was scored on other scales than the scheme in force ({scales}): reopened, its"
    " scores would be read on the new ones; it stays closed with the figures its close"
    " stored": (
        "{month} 的评分所用分值范围与现行评价方案不同（{scales}）："
        "重新打开后其评分将按新的分值范围读取；因此该月保持关账，保留关账时存储的结果"
    ),
    # --- scoring schemes and scores -------------------------------------------------------
    "plant {plant} has no scheme {scheme}": "工厂 {plant} 没有评价方案 {scheme}",
    "the scheme's scales leave out scores already given in open months, which would be read"
    " on the new scale: {scores}; the scales are {scales}. Change a scale once the months"
    " scored on the old one are closed": (
        "评价方案的分值范围不包含未关账月份中已给出的评分，这些评分将按新的分值范围读取：{scores}；"
        "分值范围为 {scales}。请在按旧分值范围评分的月份关账后再修改分值范围"
    ),
    "{month} is closed: scores can no longer change unless the quality department reopens"
    " it": "{month} 已关账：除非质量部门重新打开该月，评分不能再修改",
    "{month} is before {last}, the last closed month: months close in order, so it takes no"
    " scores": "{month} 早于最后关账的月份 {last}：月份按顺序关账，因此该月不能再评分",
    "{month} has not begun: it can be scored from {month}-01": (
        "{month} 尚未开始：自 {month}-01 起才能评分"
    ),
    "a unit cannot score itself": "单位不能给自己评分",
    "{ratee} did not supply {rater} in {month}, so {rater} cannot score it": (
        "{ratee} 在 {month} 没有向 {rater} 交付，因此 {rater} 不能对其评分"
    ),
    "unknown criterion '{criterion}' (one of {criteria})": (
        "未知指标“{criterion}”（可选：{criteria}）"
    ),
    "'{value}' is not a whole number": "“{value}”不是整数",
    "{value} is outside the scale {low}..{high} of {criterion}": (
        "{value} 超出 {criterion} 的分值范围 {low}..{high}"
    ),
    "a value below {threshold} needs a comment saying why": "低于 {threshold} 分必须填写原因说明",
    "the comment": "说明",
    "the form has no value for {criterion}": "评分表缺少 {criterion} 的分值",
    "the same score is already in row {row}": "相同的评分已在第 {row} 行",
    "no value given": "未填写分值",
    "the {criterion} score of {rater} for {ratee} in {month} was changed{who}: reload the"
    " form and submit again": (
        "{rater} 在 {month} 对 {ratee} 的 {criterion} 评分已被{who}修改：请重新载入评分表后再提交"
    ),
    " by {actor} at {at}": " {actor} 于 {at} ",
    "another submission of the same scores arrived at the same moment: reload the form and"
    " submit again": "同一时刻收到了对相同评分的另一次提交：请重新载入评分表后再提交",
    "{criterion}, {what}": "{criterion}·{what}",
    "month": "月份",
    "rater": "评价单位",
    "ratee": "被评价单位",
    "criterion": "指标",
    "value": "分值",
    "comment": "说明",
    # --- handovers and service relations --------------------------------------------------
    "a unit cannot supply itself": "单位不能向自己供货",
    "no unit given": "未填写单位",
    "{month} is closed: handovers can no longer change unless the quality department reopens"
    " it": "{month} 已关账：除非质量部门重新打开该月，交接不能再修改",
    "{month} is before {last}, the last closed month: months close in order, so it takes no"
    " handovers": "{month} 早于最后关账的月份 {last}：月份按顺序关账，因此该月不能再记录交接",
    "{month} has not begun: its handovers can be recorded from {month}-01": (
        "{month} 尚未开始：自 {month}-01 起才能记录其交接"
    ),
    "the same handover is already in row {row}": "相同的交接已在第 {row} 行",
    "the same relation is already in row {row}": "相同的服务关系已在第 {row} 行",
    "{provider}->{customer}: the new weight must take effect on or after {since}, when {was},"
    " not {day}": (
        "{provider}->{customer}：新权重必须在 {since}（{was}）当天或之后生效，而不是 {day}"
    ),
    "{provider}->{customer}: the end must take effect on or after {since}, when {was}, not"
    " {day}": "{provider}->{customer}：终止必须在 {since}（{was}）当天或之后生效，而不是 {day}",
    "its weight {weight} took effect": "其权重 {weight} 于当天生效",
    "it ended": "该关系于当天终止",
    "{provider}->{customer}: {change} {reason}": "{provider}->{customer}：{change}{reason}",
    "a weight": "新权重",
    "an end": "终止",
    # --- quality problems -----------------------------------------------------------------
    "{field}: {reason}": "{field}：{reason}",
    "date": "发现日期",
    "found_at": "发现单位",
    "severity": "严重程度",
    "qty": "数量",
    "disposition": "处置方式",
    "cost": "损失金额",
    "description": "问题描述",
    "code": "缺陷代码",
    "lot": "批次",
    "id": "问题编号",
    "op": "工序",
    "responsible": "责任单位",
    "deadline": "整改期限",
    "closed_on": "关闭日期",
    "the {what}": "{what}",
    "{day} is in the future": "{day} 是将来的日期",
    "the quantity must be a whole number from 1 to {max}": "数量必须是 1 到 {max} 之间的整数",
    "'{value}' is not a whole number from 1 to {max}": "“{value}”不是 1 到 {max} 之间的整数",
    "the cost must be a number of at least 0": "损失金额必须是不小于 0 的数",
    "ids like {plant}-000123 are given by NOAC: choose another id": (
        "形如 {plant}-000123 的编号由 NOAC 自动分配：请另选编号"
    ),
    "part {part} has only an observed routing (from a production log): import its routing"
    " to report defects on it": (
        "零件 {part} 只有实际观测的工艺路线（来自生产记录）：请先导入其工艺路线再报告缺陷"
    ),
    "unknown part '{part}'": "未知零件“{part}”",
    "part {part} has no routing in force on {day}": "零件 {part} 在 {day} 没有生效的工艺路线",
    "part {part} (routing version {version})": "零件 {part}（工艺路线第 {version} 版）",
    "{where} has no operation '{op}'": "{where}没有工序“{op}”",
    "operation {op} of {where} is at unit {unit}, not at {found_at}": (
        "{where}的工序 {op} 在单位 {unit}，而不在 {found_at}"
    ),
    "unit {unit} is not on the routing of {where}": "单位 {unit} 不在{where}的路线上",
    "problem '{ref}' already exists": "质量问题“{ref}”已存在",
    "problem '{ref}' already exists with other values; it changes through its workflow, not"
    " by a new import": "质量问题“{ref}”已存在且内容不同：它只能通过处理流程修改，不能重新导入",
    "id is empty": "问题编号为空",
    "id is longer than 40 characters": "问题编号超过 40 个字符",
    "{day} is before the date found {found_on}": "{day} 早于发现日期 {found_on}",
    "a closed problem needs its responsible unit(s)": "已关闭的质量问题需要填写责任单位",
    "the problem would be overdue at the end of {month}, which is closed: reopen {month}"
    " first, or give a deadline after {last_day}": (
        "该问题将在已关账的 {month} 月末计为超期："
        "请先重新打开 {month}，或给出 {last_day} 之后的期限"
    ),
    "plant {plant} has no quality problem '{ref}'": "工厂 {plant} 没有质量问题“{ref}”",
    "problem {ref} has no evidence {evidence}": "质量问题 {ref} 没有编号为 {evidence} 的证据",
    "unknown status '{given}' (one of {known}, open, overdue)": (
        "未知状态“{given}”（可选：{known}、open、overdue）"
    ),
    "problem {ref} was changed{who} since you loaded it: reload and try again": (
        "质量问题 {ref} 在您载入后已被{who}修改：请重新载入后再试"
    ),
    "problem {ref} is {status}: it cannot be {doing} (only when {statuses})": (
        "质量问题 {ref} 当前为{status}状态，不能{doing}（仅限{statuses}状态）"
    ),
    "accepted": "接受",
    "disputed": "提出异议",
    "ruled": "裁定",
    "given a corrective action": "填写纠正措施",
    "sent for verification": "申请验证",
    "verified": "验证",
    "problem {ref} has no proposed responsible unit (undetermined): the quality department"
    " rules it": "质量问题 {ref} 没有建议责任单位（无法判定）：由质量部门裁定",
    "problem {ref} counts in {month}, which is closed: reopen that month to change its"
    " responsibility": "质量问题 {ref} 计入已关账的 {month}：请先重新打开该月再修改其责任",
    "a dispute needs a reason": "提出异议需要填写理由",
    "a ruling needs a reason": "裁定需要填写理由",
    "no responsible unit given": "未指定责任单位",
    "unknown unit(s): {units}": "未知单位：{units}",
    "'{item}' names no unit before its share": "“{item}”在比例前没有写单位",
    "unit '{unit}' is named twice": "单位“{unit}”重复出现",
    "share of {unit}: {reason}": "{unit} 的责任比例：{reason}",
    "share of {unit}: a share must be above 0": "{unit} 的责任比例：比例必须大于 0",
    "shares must be above 0 and sum to 1, not {total}": (
        "责任比例必须大于 0 且合计为 1，而不是 {total}"
    ),
    "the given shares already sum to {total}, nothing is left for {units}": (
        "已给出的责任比例合计已达 {total}，没有余下的比例可分给 {units}"
    ),
    "shares sum to {total}, not 1": "责任比例合计为 {total}，而不是 1",
    "at most {count} milestones": "节点最多 {count} 个",
    "milestone '{item}' must read YYYY-MM-DD:what is due": (
        "节点“{item}”须写成 YYYY-MM-DD:节点内容"
    ),
    "a milestone": "节点",
    "the owner of the corrective action must be a responsible unit of {ref} ({units}), not"
    " {owner}": "纠正措施的负责单位必须是 {ref} 的责任单位（{units}），而不是 {owner}",
    "a corrective action needs a root cause and the actions taken": (
        "纠正措施需要填写根本原因和所采取的措施"
    ),
    "a corrective action needs a deadline": "纠正措施需要完成期限",
    "the root cause": "根本原因",
    "the actions": "措施",
    "a verification needs a note of what was checked": "验证需要说明检查了哪些内容",
    "problem {ref}: a verification dated {on} is before its corrective action was reported"
    " done on {done}: date it {done} or later": (
        "质量问题 {ref}：验证日期 {on} 早于纠正措施报告完成的日期 {done}："
        "请填写 {done} 或之后的日期"
    ),
    "the note": "说明",
    "a closing date of {day} is before the date found {found_on}": (
        "关闭日期 {day} 早于发现日期 {found_on}"
    ),
    "problem {ref} was overdue at the end of {month}, which is closed: a closing date of"
    " {day} would change that month's figures; date it after {last_day}, or reopen {month}"
    " first": (
        "质量问题 {ref} 在已关账的 {month} 月末已超期：关闭日期 {day} 会改变该月的结果；"
        "请填写 {last_day} 之后的日期，或先重新打开 {month}"
    ),
    "a deadline of {deadline} is before the date found {found_on}": (
        "整改期限 {deadline} 早于发现日期 {found_on}"
    ),
    "problem {ref} would be overdue for {units} at the end of {months} (deadline"
    " {deadline}), which is closed: give a deadline after {last_day}, or reopen {months}"
    " first": (
        "质量问题 {ref} 将在已关账的 {months} 月末对 {units} 计为超期（期限 {deadline}）："
        "请给出 {last_day} 之后的期限，或先重新打开 {months}"
    ),
    "problem {ref} would be overdue for {units} at the end of {months} (deadline"
    " {deadline}), all closed: give a deadline after {last_day}, or reopen {months} first": (
        "质量问题 {ref} 将在 {months} 各月末对 {units} 计为超期（期限 {deadline}），"
        "这些月份均已关账：请给出 {last_day} 之后的期限，或先重新打开 {months}"
    ),
    "attachment '{name}…' has a name of {length} characters; the limit is {limit}: rename"
    " the file": "证据文件“{name}…”的文件名有 {length} 个字符，上限为 {limit}：请重命名文件",
    "attachment '{name}' is empty": "证据文件“{name}”为空",
    "attachment '{name}' is {size} bytes; the limit is {limit}": (
        "证据文件“{name}”大小为 {size} 字节，上限为 {limit}"
    ),
    # --- the audit trail ------------------------------------------------------------------
    "'{head}' is not a head of the audit trail: a head is 16 to 64 hex digits, as noac close"
    " and noac audit verify print it": (
        "“{head}”不是审计记录的链头：链头是 16 到 64 位十六进制数字，即 noac close 和"
        " noac audit verify 打印的值"
    ),
    # --- files and cells ------------------------------------------------------------------
    "unknown kind '{kind}' (one of {kinds})": "未知文件类型“{kind}”（可选：{kinds}）",
    "{kind} take no effective date (only {dated} do)": "{kind} 不需要生效日期（只有 {dated} 需要）",
    "unknown format '{format}' (one of {formats})": "未知格式“{format}”（可选：{formats}）",
    "cannot read the file: {error}": "无法读取文件：{error}",
    "the file is empty (no header row)": "文件为空（没有表头行）",
    "the file is not UTF-8 text (byte {byte}): save it as CSV UTF-8": (
        "文件不是 UTF-8 文本（第 {byte} 字节）：请另存为 CSV UTF-8"
    ),
    "not readable as CSV: {error}": "无法按 CSV 读取：{error}",
    'a quote (") opening a cell in this row is not closed, so every line after it would be'
    ' read into that cell: close it, or write a quote inside a quoted cell twice ("")': (
        '本行某个单元格开头的引号（"）没有闭合，其后的每一行都会被读入该单元格：'
        '请补上闭合引号，或在带引号的单元格内把引号写两遍（""）'
    ),
    "not a readable XLSX workbook: {error}": "不是可读取的 XLSX 工作簿：{error}",
    "the file is an Excel 97-2003 workbook (.xls): save it as an Excel workbook (.xlsx) or as"
    " CSV UTF-8": "文件是 Excel 97-2003 工作簿（.xls）：请另存为 Excel 工作簿（.xlsx）或 CSV UTF-8",
    "cell {cell} holds a formula whose value was not saved: open the file in a spreadsheet"
    " program and save it": (
        "单元格 {cell} 中的公式没有保存计算结果：请用电子表格程序打开文件并保存"
    ),
    "the columns are separated by {what}, not by commas: save the file as CSV UTF-8 (comma"
    " delimited)": "各列以{what}而不是逗号分隔：请另存为 CSV UTF-8（逗号分隔）",
    "semicolons (;)": "分号（;）",
    "tabs": "制表符",
    "full-width commas (，)": "全角逗号（，）",
    "header cell {position} is empty": "表头第 {position} 个单元格为空",
    "the columns are named in row {number}: delete the rows above it": (
        "列名在第 {number} 行：请删除它上面的行"
    ),
    "the first sheet, '{sheet}', does not name the columns, sheet '{other}' does: move it"
    " first (a workbook is read from its first sheet)": (
        "第一个工作表“{sheet}”中没有列名，工作表“{other}”中有：请把它移到最前"
        "（工作簿只读取第一个工作表）"
    ),
    "unknown column (expected: {columns})": "未知列（应为：{columns}）",
    "the column appears more than once": "该列出现了不止一次",
    "required column is missing": "缺少必填列",
    "{cells} cells but the header has {columns} columns: '{text}' in column {letter} is under"
    " no column name": (
        "有 {cells} 个单元格，但表头有 {columns} 列：{letter} 列的“{text}”没有列名"
    ),
    "{reason}; the cell holds full-width characters ({characters}): type them half-width": (
        "{reason}；单元格中有全角字符（{characters}）：请改用半角输入"
    ),
    "{reason}; the cell holds invisible characters ({codes}): delete them": (
        "{reason}；单元格中有不可见字符（{codes}）：请删除"
    ),
    "contains a NUL character": "含有 NUL 字符",
    "{what} is empty": "{what}为空",
    "{what} is longer than {limit} characters": "{what}超过 {limit} 个字符",
    "{what} contains a NUL character": "{what}含有 NUL 字符",
    "{what} '{value}' must not contain ';'": "{what}“{value}”不能包含“;”",
    "{what} '{value}' must be 1-40 letters, digits, '.', '_' or '-', starting with a letter"
    " or digit": "{what}“{value}”必须由 1-40 个字母、数字、“.”、“_”或“-”组成，并以字母或数字开头",
    "'{value}' is not a number": "“{value}”不是数字",
    "{value} is outside {low}..{high}": "{value} 超出范围 {low}..{high}",
    "'{value}' is not a date (YYYY-MM-DD)": "“{value}”不是日期（YYYY-MM-DD）",
    # --- the notes of an import and of a month's flags --------------------------------------
    "the form of {rater} for {ratee} in {month} does not count until it is complete: no value"
    " for {criteria}": (
        "{rater} 在 {month} 对 {ratee} 的评分表填写完整前不计入：缺少 {criteria} 的分值"
    ),
    "the form of {rater} for {ratee} in {month} no longer counts: {ratee} did not supply"
    " {rater} that month": (
        "{rater} 在 {month} 对 {ratee} 的评分表不再计入：{ratee} 当月没有向 {rater} 交付"
    ),
    "… and {count} more like these": "……另有 {count} 条类似说明",
    "form for {ratee} {score} against its average {average} after {ratee} reported a problem"
    " {rater} was made responsible for": (
        "对 {ratee} 的评分 {score}，低于其平均分 {average}；"
        "此前 {ratee} 报告的质量问题由 {rater} 承担责任"
    ),
}


# a reading of a message: how many of its characters it keeps as they are (the values the
# message names), and its Chinese
Reading = tuple[int, str]


def _words(prefix: str) -> Callable[[str], Reading | None]:
    """A code's Chinese word among the app's texts (``role.quality``), None for another."""

    def word(code: str) -> Reading | None:
        key = f"{prefix}.{code}"
        return (0, t(key, "zh")) if key in STRINGS else None

    return word


def _items(text: str) -> Reading:
    """A list of values a service joined with ", ", kept as they are and joined as Chinese
    lists them."""
    return len(text), listing(text.split(", "), "zh")


def _listed(word: Callable[[str], Reading | None], separator: str) -> Callable:
    """A list of codes joined with ``separator``, in words joined as Chinese lists them."""

    def words(text: str) -> Reading | None:
        said = [word(code) for code in text.split(separator)]
        if None in said:
            return None
        said = [chinese for _, chinese in said]
        return 0, "、".join(said[:-1]) + "或" + said[-1] if len(said) > 1 else said[0]

    return words


@dataclass(frozen=True)
class _Text:
    """A text of the catalogue read for matching: the English between its placeholders
    (one more than the placeholders) and the Chinese as ``(text, placeholder)`` pieces."""

    between: tuple[str, ...]
    names: tuple[str, ...]
    chinese: tuple[tuple[str, str | None], ...]

    @classmethod
    def of(cls, english: str, chinese: str) -> _Text:
        pieces = list(string.Formatter().parse(english))
        names = tuple(name for _, name, _, _ in pieces if name is not None)
        between = [text for text, _, _, _ in pieces]
        if len(between) == len(names):  # the text ends with a placeholder
            between.append("")
        return cls(
            tuple(between),
            names,
            tuple((text, name) for text, name, _, _ in string.Formatter().parse(chinese)),
        )

    def readings(self, message: str) -> Iterator[Reading]:
        """Every way ``message`` is this text, in Chinese."""
        if message.startswith(self.between[0]) and message.endswith(self.between[-1]):
            for kept, words in self._fill(message, len(self.between[0]), 0, {}, 0, {}):
                yield kept, self.written(words)

    def _fill(
        self, message: str, at: int, index: int, values: dict, kept: int, words: dict
    ) -> Iterator[tuple[int, dict[str, str]]]:
        if index == len(self.names):
            if at == len(message):
                yield kept, words
            return
        name, after = self.names[index], self.between[index + 1]
        if index + 1 == len(self.names):
            ends: Iterable[int] = [len(message) - len(after)]
        else:
            ends = _places(message, after, at)
        for end in ends:
            value = message[at:end]
            if end < at or values.get(name, value) != value:
                continue
            reading = PARTS[name](value) if name in PARTS else (len(value), value)
            if reading is not None:
                yield from self._fill(
                    message,
                    end + len(after),
                    index + 1,
                    {**values, name: value},
                    kept + reading[0],
                    {**words, name: reading[1]},
                )

    def written(self, words: dict[str, str]) -> str:
        return "".join(
            text + (words[name] if name is not None else "") for text, name in self.chinese
        )


def _places(message: str, text: str, start: int) -> Iterator[int]:
    """Where ``text`` begins in ``message`` from ``start`` on."""
    found = message.find(text, start)
    while found != -1:
        yield found
        found = message.find(text, found + 1)


# the most particular first: of two readings keeping as much, the one of more English wins
_TEXTS = sorted(
    (_Text.of(english, chinese) for english, chinese in REFUSALS.items()),
    key=lambda text: -sum(map(len, text.between)),
)


@functools.lru_cache(maxsize=4096)
def _reading(message: str) -> Reading | None:
    """``message`` in Chinese, read the way that keeps the fewest of its characters as they
    are (a value may hold any text: ``month: 2026-03`` is not the month of "{month} is
    closed"); reasons joined with ``"; "`` each in Chinese. None when the catalogue does not
    hold it all."""
    if not message:
        return 0, message
    readings = [reading for text in _TEXTS for reading in text.readings(message)]
    for at in _places(message, "; ", 0):
        first, rest = _reading(message[:at]), _reading(message[at + 2 :])
        if first is not None and rest is not None:
            readings.append((first[0] + rest[0], f"{first[1]}；{rest[1]}"))
    return min(readings, key=lambda reading: reading[0], default=None)


def _chinese(message: str) -> str | None:
    reading = _reading(message)
    return None if reading is None else reading[1]


# the names of the parts of a message that have their own words, and how to find them
PARTS: dict[str, Callable[[str], Reading | None]] = {
    **dict.fromkeys(
        ("reason", "what", "where", "doing", "change", "was", "who", "field"), _reading
    ),
    # the lists of values a service makes (plants, units, columns, ...)
    **dict.fromkeys(
        (
            "categories",
            "characters",
            "codes",
            "columns",
            "criteria",
            "dated",
            "formats",
            "kinds",
            "known",
            "months",
            "ops",
            "parts",
            "plants",
            "scales",
            "scores",
            "units",
            "values",
        ),
        _items,
    ),
    "role": _words("role"),
    "roles": _listed(_words("role"), ", "),
    "status": _words("status"),
    "statuses": _listed(_words("status"), " or "),
}


def _said(message: str, criteria: Iterable[Criterion]) -> str | None:
    """``message`` in Chinese, a criterion of ``criteria`` it names (``Criterion.label``) by
    the name the scheme gives it in Chinese; None when the catalogue does not hold it."""
    said = _chinese(message)
    if said is not None:
        for criterion in criteria:
            said = said.replace(criterion.label("en"), criterion.label("zh"))
    return said


def refusal(error: NoacError, lang: str, criteria: Iterable[Criterion] = ()) -> str:
    """A service's refusal in ``lang``: in English as the service wrote it; in Chinese from
    the catalogue, or in English when the catalogue does not hold it. ``criteria``: those of
    the scheme the refusal was given on, named in Chinese as the scheme names them.

    >>> refusal(NoacError("unknown plant 'X' (plants: AERO, GARM)"), "zh")
    '未知工厂“X”（现有工厂：AERO、GARM）'
    >>> refusal(NoacError("problem AERO-000007 is closed: it cannot be ruled (only when"
    ...                   " proposed or disputed)"), "zh")
    '质量问题 AERO-000007 当前为已关闭状态，不能裁定（仅限待确认或有争议状态）'
    >>> refusal(NoacError("a message no catalogue holds"), "zh")
    'a message no catalogue holds'
    """
    if lang != "zh":
        return str(error)
    if isinstance(error, ImportRejected):
        rows = [f"  {row_error(row, lang, criteria)}" for row in error.errors]
        return "\n".join([t("md.import_rejected", lang, file=error.source, count=len(rows)), *rows])
    message = str(error)
    said = _said(message, criteria)
    return message if said is None else said


def row_error(error: RowError, lang: str, criteria: Iterable[Criterion] = ()) -> str:
    """One refused row of a file in ``lang`` (``criteria`` as for ``refusal``); in Chinese,
    a reason the catalogue does not hold in English.

    >>> row_error(RowError(4, "unit", "unknown unit 'WELD' (import units first)"), "zh")
    '第 4 行，列“unit”：未知单位“WELD”（请先导入单位）'
    >>> row_error(RowError(None, "", "the file is empty (no header row)"), "zh")
    '文件：文件为空（没有表头行）'
    """
    if lang != "zh":
        return str(error)
    where = "文件" if error.row is None else f"第 {error.row} 行"
    column = f"，列“{error.column}”" if error.column else ""
    said = _said(error.reason, criteria)
    return f"{where}{column}：{error.reason if said is None else said}"


def note(text: str, lang: str, criteria: Iterable[Criterion] = ()) -> str:
    """A note of the services (an import's, a flag's) in ``lang``, as ``refusal`` writes a
    refusal (``criteria`` as for ``refusal``).

    >>> note("… and 3 more like these", "zh"), note("… and 3 more like these", "en")
    ('……另有 3 条类似说明', '… and 3 more like these')
    """
    said = _said(text, criteria) if lang == "zh" else None
    return text if said is None else said
