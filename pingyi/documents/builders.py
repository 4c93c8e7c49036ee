"""The documents' content, laid out with the GB/T 9704 factory; plain data in, .docx bytes out.

Each builder takes a dict made by pingyi.documents.services from the database, so building needs no
request and no query: the batch export and `make bench` call the same functions.
"""
from bisect import bisect_right

from pingyi.documents.gbt9704 import OfficialDocument, set_width

NUMERALS = "一二三四五六七八九十"
CC = ["县委办公室", "县人大常委会办公室", "县政府办公室", "县政协办公室", "县纪委"]


def numeral(n):
    """Chinese numeral for 1–99 (一 … 十 … 十一 … 二十一), as in "（十一）"; Arabic beyond."""
    if n <= 10:
        return NUMERALS[n - 1]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else NUMERALS[tens - 1]) + "十" + (NUMERALS[ones - 1] if ones else "")
    return str(n)


TITLE_LINE = 20  # 小标宋 二号 characters on the 156 mm line
_NAME_ENDS = set("局委办院所厅处队站部会室馆行司社心团校场署庭")
_BEFORE = ("政风行风", "限期", "的反馈", "的通知", "的函", "整改", "有关工作", "评议工作", "评议结果", "评议意见")
_WORDS = ("评议", "工作", "通知书", "有限公司", "分公司", "委员会", "办公室", "服务中心", "银行", "年度")


def _title_breaks(text):
    """Where a title may break (index of the next line's first character), best places first: after 关于,
    before the subject (政风行风…, 限期…), after a unit name's last character (…局, …大队); never inside a
    run of Latin letters or digits."""
    good = {len("关于")} if text.startswith("关于") else set()
    for marker in _BEFORE:
        at = text.find(marker, 1)
        while at > 0:
            good.add(at)
            at = text.find(marker, at + 1)
    good |= {i + 1 for i, ch in enumerate(text[:-1]) if ch in _NAME_ENDS}
    inside = set()
    for word in _BEFORE + _WORDS:
        at = text.find(word)
        while at >= 0:
            inside |= set(range(at + 1, at + len(word)))
            at = text.find(word, at + 1)
    anywhere = {i for i in range(1, len(text)) if not (text[i - 1].isascii() and text[i].isascii())} - inside
    return {i for i in good if 0 < i < len(text)} - inside, anywhere


def _split(text, breaks, width):
    """Fewest lines no wider than `width`, then the narrowest widest line and the widest narrowest one (an
    even block): [line, …] or None. Dynamic programming from the end; a line never spans more than
    `width` characters, so it is linear in the title's length."""
    points = sorted(breaks | {len(text)})
    best = {len(text): (0, 0, -width, None)}  # start -> (lines, widest, -narrowest, end of its first line)
    for position in reversed([0] + [p for p in points if p < len(text)]):
        for index in range(bisect_right(points, position), len(points)):
            end = points[index]
            line_width = set_width(text[position:end])
            if line_width > width:
                break
            rest = best.get(end)
            if rest is not None:
                cost = (rest[0] + 1, max(rest[1], line_width), max(rest[2], -line_width), end)
                if position not in best or cost[:3] < best[position][:3]:
                    best[position] = cost
    if 0 not in best:
        return None
    lines, position = [], 0
    while position < len(text):
        end = best[position][3]
        lines.append(text[position:end])
        position = end
    return lines


def _title_lines(text, width=18):
    """Break a long title into centred lines of at most 20 characters at word boundaries (after 关于,
    before 政风行风…, after a unit name), as even as they can be; anywhere else (never inside a run of
    Latin letters or digits, nor inside 政风行风, 评议, 有限公司 …) only when a name alone is wider than a line."""
    if len(text) <= width:
        return text
    for marker in ("政风行风", "的反馈", "整改"):  # the usual two-line trapezoid
        at = text.find(marker)
        if 6 <= at <= len(text) - 4 and max(set_width(text[:at]), set_width(text[at:])) <= TITLE_LINE:
            return text[:at] + "\n" + text[at:]
    if set_width(text) <= TITLE_LINE:
        return text
    good, anywhere = _title_breaks(text)
    lines = _split(text, good, TITLE_LINE) or _split(text, good | anywhere, TITLE_LINE)
    return "\n".join(lines) if lines else text


def _closing(doc, d):
    """版记 on the last page; `colophon_own_page` (1, or 2 with a blank page) moves it to an even page
    of its own; -1 leaves it out."""
    own_page = int(d.get("colophon_own_page") or 0)
    if own_page < 0:                        # the text alone, to measure where it ends
        return
    if d.get("letter"):
        doc.colophon(d["cc"], own_page=own_page)
    else:
        doc.colophon(d["cc"], d["office"], d["date"], own_page=own_page)


def notice_docx(d):
    """关于开展××年度政风行风评议工作的通知 (文件格式)."""
    doc = OfficialDocument()
    doc.red_header(d["org_mark"], d["number"])
    doc.title(_title_lines(f"关于开展{d['year']}年度政风行风评议工作的通知"))
    doc.addressee("各乡镇人民政府，县政府各部门，县直各企事业单位，各驻县单位：")
    doc.paragraph(f"为加强社会监督，切实改进机关工作作风，提高工作效率，根据县委、县政府工作部署，决定在全县开展"
                  f"{d['year']}年度政风行风评议工作。现将有关事项通知如下：")
    doc.heading1("一、评议对象")
    doc.paragraph(f"县政府各部门、县直各企事业单位均为评议对象，共{d['counts']['department'] + d['counts']['institution']}个。"
                  f"根据今年纠风工作要点，确定{'、'.join(d['key_units'])}{len(d['key_units'])}个单位为重点评议部门。")
    doc.paragraph(f"{'、'.join(d['stationed'])}{len(d['stationed'])}个驻县单位按照《驻县单位政风行风评议实施方案》开展评议。")
    doc.heading1("二、评议内容")
    for n, (name, items) in enumerate(d["dimensions"], 1):
        doc.heading2(f"（{numeral(n)}）{name}。", "；".join(i.rstrip("。；") for i in items) + "。")
    doc.heading1("三、评议组织")
    doc.paragraph("成立三个评议组，分别负责各类评议对象的评议工作：")
    for n, (name, scope, leader, members) in enumerate(d["groups"], 1):
        doc.heading2(f"（{numeral(n)}）{name}。", f"负责{scope}。组长：{leader}；成员：{members}。")
    doc.heading1("四、评议步骤")
    for n, (name, start, end, text) in enumerate(d["phases"], 1):
        doc.heading3(f"{n}.{name}（{start}至{end}）。", text.rstrip("。") + "。")
    doc.paragraph("评议采取明察暗访、问卷调查、听取汇报、座谈会、民意测评、走访服务对象等方式进行。")
    doc.heading1("五、工作要求")
    doc.heading2("（一）加强领导，精心组织。", "各单位要成立评议工作领导小组，明确一名联络员，于4月30日前将领导小组名单报县纠风办。")
    doc.heading2("（二）认真自查，狠抓整改。", "各单位要对照评议内容逐条自查，对反馈的问题逐条整改，"
                 "一时无条件解决的列出整改计划并向社会承诺，书面承诺书报县纠风办备案。")
    doc.heading2("（三）按时报送，严肃纪律。", f"各单位于{d['report_deadline']}前将书面总结报告报县纠风办。"
                 "评议结果全县通报，并作为年度党风廉政建设和纠风工作考核的重要依据。")
    doc.attachment_note(["评议工作领导小组名单报送表"])
    doc.signature(d["office"], d["date"])
    if d["contact"]:
        doc.note(f"（联系人：{d['contact']}，电话：{d['phone']}）")
    doc.attachment_page("附件", "评议工作领导小组名单报送表")
    doc.paragraph("报送单位（盖章）：　　　　　　　　　　　　填报日期：")
    doc.table(["职务", "姓名", "单位职务", "联系电话"], [["组长", "", "", ""], ["副组长", "", "", ""],
                                                   ["成员", "", "", ""], ["成员", "", "", ""], ["联络员", "", "", ""]],
              [1600, 2000, 3245, 2000])
    _closing(doc, d | {"cc": CC})
    return doc.save()


COMMITMENT_HEADERS = ["序号", "反馈问题", "整改措施", "责任领导\n责任部门\n责任人", "完成时限"]
COMMITMENT_ATOMS = (0, 3, 4)


def _commitment_table(doc, rows):
    """序号 | 反馈问题 | 整改措施 | 责任领导、责任部门、责任人 (one a line) | 完成时限; 序号, names and dates
    never break inside a word (a blank form keeps room for "年　月　日")."""
    doc.table(COMMITMENT_HEADERS, rows, atoms=COMMITMENT_ATOMS, minimum={2: 6, 3: 5, 4: 7})


def feedback_notice_docx(d):
    """关于××政风行风评议意见的反馈通知书 (信函格式), one per unit and round."""
    doc = OfficialDocument()
    doc.letter_header(d["org"], d["number"])
    doc.title(_title_lines(f"关于{d['unit']}政风行风评议意见的反馈通知书"))
    doc.addressee(f"{d['unit']}：")
    cited = f"（{d['notice_number']}）" if d["notice_number"] else ""
    doc.paragraph(f"根据《关于开展{d['year']}年度政风行风评议工作的通知》{cited}要求，{d['office_short']}会同评议组和"
                  f"义务监督员，{d['methods']}，对你单位开展了{d['round']}。现将评议意见反馈如下：")
    doc.heading1("一、总体评价")
    for text in (t.strip() for t in d["overall"].split("\n")):
        if text:
            doc.paragraph(text)
    doc.heading1("二、存在的主要问题")
    for n, (dimension, problems) in enumerate(d["problems"], 1):
        doc.heading2(f"（{numeral(n)}）{dimension}方面。", "；".join(p.rstrip("。；") for p in problems) + "。")
    doc.heading1("三、整改要求")
    for n, (suggestion, deadline) in enumerate(d["suggestions"], 1):
        doc.heading3(f"{n}.", f"{suggestion.rstrip('。；')}（整改时限：{deadline}）。")
    doc.paragraph(f"请于{d['answer_deadline']}前将整改方案和书面整改承诺书报县纠风办备案。整改落实情况将作为"
                  f"{d['year']}年度评议结果的重要内容。")
    doc.attachment_note(["整改承诺书（样式）"])
    doc.signature(d["office"], d["date"])
    doc.attachment_page("附件", "整改承诺书（样式）")
    doc.addressee(f"{d['office']}：")
    doc.paragraph(f"根据《关于{d['unit']}政风行风评议意见的反馈通知书》（{d['number']}），对一时无条件解决的问题，"
                  "我单位制定了整改计划，现郑重承诺如下：")
    _commitment_table(doc, [[str(n), p, "", "", ""] for n, p in enumerate(d["flat_problems"], 1)])
    doc.signature_lines([f"{d['unit']}（盖章）", "主要负责人（签字）：", "年　月　日"])
    _closing(doc, d | {"letter": True})
    return doc.save()


def rectification_notice_docx(d):
    """关于限期整改××问题的通知 (信函格式): each open problem with when and how it was found and the
    facts, the rule it breaks, the feedback notice cited by title and number, and a new deadline."""
    doc = OfficialDocument()
    doc.letter_header(d["org"], d["number"])
    doc.title(_title_lines(f"关于限期整改{d['unit']}政风行风问题的通知"))
    doc.addressee(f"{d['unit']}：")
    doc.paragraph(f"{d['feedback_date']}，{d['office_short']}以《关于{d['unit']}政风行风评议意见的反馈通知书》"
                  f"（{d['feedback_number']}）向你单位反馈了{d['year']}年度政风行风评议意见，要求限期整改。"
                  f"经核查，下列问题至今未整改到位，不符合《关于开展{d['year']}年度政风行风评议工作的通知》"
                  f"{'（' + d['notice_number'] + '）' if d['notice_number'] else ''}规定的评议内容要求：")
    for n, item in enumerate(d["items"], 1):
        doc.heading2(f"（{numeral(n)}）{item['dimension']}方面。",
                     f"{item['found_on']}，{item['method']}发现：{item['facts'].rstrip('。；')}。"
                     f"该问题违反了{item['rule']}。原定整改时限为{item['old_deadline']}，{item['state']}。")
    doc.paragraph(f"请你单位接到本通知后，明确责任领导和责任人，逐项制定整改措施，于{d['deadline']}前整改到位，"
                  f"并在整改期满后五个工作日内将整改情况书面报{d['office_short']}。")
    doc.paragraph("逾期未整改或整改不到位的，将在全县通报，并在年度评议结果中予以扣分；情节严重的，按有关规定追究相关人员责任。")
    doc.signature(d["office"], d["date"])
    _closing(doc, d | {"letter": True})
    return doc.save()


def reminder_docx(d):
    """催办通知 (信函格式): to one unit what it has left undone (tasks past their deadline, unsigned feedback
    notices, problems not answered, rectifications past their deadline), or, without `unit`, one county-wide
    letter listing every lagging unit; a new deadline and whom to ask."""
    doc = OfficialDocument()
    doc.letter_header(d["org"], d["number"])
    cited = f"（{d['notice_number']}）" if d["notice_number"] else ""
    basis = (f"按照《关于开展{d['year']}年度政风行风评议工作的通知》{cited}要求，各单位应按时完成评议各阶段工作。"
             f"经查，截至{d['as_of']}，")
    if not d["unit"]:
        doc.title(_title_lines("关于督促有关单位限期完成政风行风评议有关工作的函"))
        doc.addressee("各有关单位：")
        doc.paragraph(basis + f"仍有{len(d['units'])}个单位存在逾期未完成的工作（见下表）。")
        doc.table(["序号", "单位", "逾期事项", "最长逾期天数"],
                  [[str(n), name, f"{count}项", f"{days}天"] for n, (name, count, days) in enumerate(d["units"], 1)],
                  [700, 4800, 1600, 1745])
        doc.paragraph(f"请上述单位高度重视，于{d['deadline']}前完成逾期工作，并将完成情况报{d['office_short']}。"
                      "逾期仍未完成的，将在全县通报，并在年度评议结果中予以扣分。")
    else:
        doc.title(_title_lines(f"关于督促{d['unit']}限期完成政风行风评议有关工作的函"))
        doc.addressee(f"{d['unit']}：")
        doc.paragraph(basis + "你单位下列工作尚未完成：")
        section = iter(range(1, 10))
        if d["tasks"]:
            doc.heading2(f"（{numeral(next(section))}）逾期未完成的工作。")
            for n, (task, deadline, days) in enumerate(d["tasks"], 1):
                doc.paragraph(f"{n}.{task.rstrip('。')}（完成时限：{deadline}，已逾期{days}天）。")
        if d["unsigned"]:
            doc.heading2(f"（{numeral(next(section))}）未签收的反馈通知书。",
                         "、".join(d["unsigned"]) + "已发送你单位，至今未签收。")
        if d["unanswered"]:
            doc.heading2(f"（{numeral(next(section))}）未答复整改的问题。",
                         f"反馈通知书所列{len(d['unanswered'])}个问题已过答复期限，尚未逐条答复整改措施：" +
                         "；".join(p.rstrip("。；") for p in d["unanswered"]) + "。")
        if d.get("rects"):
            doc.heading2(f"（{numeral(next(section))}）逾期未完成的整改。")
            for n, (problem, deadline, days) in enumerate(d["rects"], 1):
                doc.paragraph(f"{n}.{problem.rstrip('。；')}（整改时限：{deadline}，已逾期{days}天）。")
        doc.paragraph(f"请你单位高度重视，于{d['deadline']}前完成上述工作，并将完成情况报{d['office_short']}。"
                      "逾期仍未完成的，将在全县通报，并在年度评议结果中予以扣分。")
    doc.signature(d["office"], d["date"])
    if d["contact"]:
        doc.note(f"（联系人：{d['contact']}，电话：{d['phone']}）")
    return doc.save()


def commitment_docx(d):
    """××单位政风行风评议整改承诺书: from a unit to the office; no 版头, 发文字号 or 版记."""
    doc = OfficialDocument()
    doc.title(f"{d['unit']}\n政风行风评议整改承诺书")
    doc.addressee(f"{d['office']}：")
    cited = f"《关于{d['unit']}政风行风评议意见的反馈通知书》{'（' + d['feedback_number'] + '）' if d['feedback_number'] else ''}"
    doc.paragraph(f"根据{cited}，对一时无条件解决的问题，我单位制定了整改计划，现郑重承诺如下：")
    _commitment_table(doc, [[str(n), *row] for n, row in enumerate(d["items"], 1)])
    doc.heading1("一、按期整改。", "严格按照上述措施和时限抓好整改，确保件件有着落、事事有回音。")
    doc.heading1("二、接受监督。", "整改情况向社会公开，主动接受县纠风办、义务监督员和社会各界监督。")
    doc.heading1("三、及时报告。", "每项整改完成后五个工作日内书面报告县纠风办。")
    doc.heading1("四、承担责任。", "未按期兑现承诺的，愿接受通报批评，并在年度评议结果中扣分。")
    doc.signature_lines([f"{d['unit']}（盖章）", "主要负责人（签字）：", d["date"] or "年　月　日"])
    return doc.save()


def bulletin_docx(d):
    """关于××年度政风行风评议结果的通报 (文件格式): the published results, one table per ranking group.

    Sections without content (no problems, no requirements) are left out and the following ones renumbered.
    """
    doc = OfficialDocument()
    doc.red_header(d["org_mark"], d["number"])
    doc.title(_title_lines(f"关于{d['year']}年度政风行风评议结果的通报"))
    doc.addressee("各乡镇人民政府，县政府各部门，县直各企事业单位，各驻县单位：")
    s = d["summary"]
    doc.paragraph(f"根据县委、县政府工作部署，{d['county']}按照评议工作实施方案组织开展了{d['year']}年度政风行风评议"
                  "工作，采取明察暗访、问卷调查、民意测评等方式，"
                  f"对{s['units']}个单位进行了评议。共回收测评问卷{s['ballots']}份，有效评价{s['valid']}人次，"
                  f"全县群众满意率为{s['rate']}%。现将评议结果通报如下：")

    sections = iter(range(1, 100))
    doc.heading1(f"{numeral(next(sections))}、评议结果")
    grades = [f"“{name}”等次{count}个" for name, count in d["grades"] if count]
    if grades:
        doc.paragraph(f"在参加排名的单位中，评定为{'，'.join(grades)}。各类别评议结果如下：")
    for n, group in enumerate(d["groups"], 1):
        text = f"共{len(group['rows'])}个单位参加排名"
        if group["top"]:
            text += f"，{'、'.join(group['top'])}为先进单位"
        if group["bottom"]:
            text += f"，{'、'.join(group['bottom'])}为末位单位"
        doc.heading2(f"（{numeral(n)}）{group['name']}。", text + "。")
    if d["unrated"]:
        doc.paragraph(f"以下单位因无有效测评票未参加排名：{'、'.join(d['unrated'])}。")

    if d["problems"]:
        doc.heading1(f"{numeral(next(sections))}、存在的主要问题")
        doc.paragraph("评议中，群众和服务对象也反映了一些问题，主要有：")
        for n, problem in enumerate(d["problems"], 1):
            _item(doc, n, problem)

    rewards = "".join(_clause(t) for t in (d["top_text"], d["bottom_text"]) if t.strip())
    if d["requirements"] or rewards:
        doc.heading1(f"{numeral(next(sections))}、工作要求")
        if rewards:
            doc.paragraph(rewards)
        for n, requirement in enumerate(d["requirements"], 1):
            _item(doc, n, requirement)

    table_title = f"{d['year']}年度政风行风评议结果排名表"
    doc.attachment_note([table_title])
    doc.signature(d["office"], d["date"])
    if d["contact"]:
        doc.note(f"（联系人：{d['contact']}，电话：{d['phone']}）")
    doc.attachment_page("附件", table_title)
    for n, group in enumerate(d["groups"], 1):
        doc.heading1(f"{numeral(n)}、{group['name']}")
        doc.table(["名次", "单位", "综合得分", "评定等次", "备注"],
                  [[str(r["rank"]), r["unit"], r["total"], r["grade"], r["mark"]] for r in group["rows"]],
                  atoms=(0, 1, 2, 3), minimum={4: 4})
    _closing(doc, d | {"cc": CC})
    return doc.save()


def _clause(text):
    return text.strip().rstrip("。；;，,.") + "。"


def _item(doc, n, item):
    """A "（一）" item of the 通报: (heading, text) run in, or one sentence, the heading up to its "。"."""
    if isinstance(item, (tuple, list)):
        heading, text = item
        doc.heading2(f"（{numeral(n)}）{_clause(heading)}", _clause(text))
    else:
        doc.heading2(*doc.split_heading(f"（{numeral(n)}）{_clause(item)}"))


BUILDERS = {"notice": notice_docx, "feedback-notice": feedback_notice_docx,
            "rectification-notice": rectification_notice_docx, "commitment": commitment_docx,
            "bulletin": bulletin_docx, "reminder": reminder_docx}
# The kinds with a 版记, which stands on an even page.
WITH_COLOPHON = ("notice", "feedback-notice", "rectification-notice", "bulletin")
