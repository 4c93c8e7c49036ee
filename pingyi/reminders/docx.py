"""The 催办通知 from the 催办 page (信函格式, GB/T 9704): plain data in, .docx bytes out; to one unit its overdue
items, or one county-wide letter listing every lagging unit."""
from pingyi.documents.builders import numeral
from pingyi.documents.gbt9704 import OfficialDocument


def reminder_docx(d):
    """关于督促办理政风行风评议逾期事项的通知: to one unit (its overdue items) or to every unit (a table)."""
    doc = OfficialDocument()
    doc.letter_header(d["org_mark"], d["number"])
    doc.title("关于督促办理政风行风评议\n逾期事项的通知")
    doc.addressee(d["addressee"])
    if d["unit"]:
        doc.paragraph(f"{d['year']}年度政风行风评议工作开展以来，经{d['office_short']}核查，你单位下列事项已超过办理时限，"
                      "至今尚未办结：")
        for n, (kind, what, due, days) in enumerate(d["items"], 1):
            doc.heading2(f"（{numeral(n)}）{kind}：", f"{what.rstrip('。')}。办理时限{due}，已逾期{days}天。")
        doc.paragraph("请你单位高度重视，明确专人负责，于接到本通知之日起五个工作日内办结上述事项，"
                      f"并将办理情况报{d['office_short']}。逾期仍未办结的，将在全县通报，并在年度评议结果中予以扣分。")
    else:
        doc.paragraph(f"{d['year']}年度政风行风评议工作开展以来，多数单位能够按照要求及时办理各项工作，但仍有"
                      f"{len(d['units'])}个单位存在逾期未办结的事项（见下表）。")
        doc.table(["序号", "单位", "逾期事项", "最长逾期天数"],
                  [[str(n), name, f"{count}项", f"{days}天"] for n, (name, count, days) in enumerate(d["units"], 1)],
                  [700, 4800, 1600, 1745])
        doc.paragraph("请上述单位于接到本通知之日起五个工作日内办结逾期事项，并将办理情况报县纠风办。"
                      "逾期仍未办结的，将在全县通报，并在年度评议结果中予以扣分。")
    if d["contact"] or d["phone"]:
        doc.note(f"（联系人：{d['contact']}，电话：{d['phone']}）")
    doc.signature(d["office"], d["date"])
    return doc.save()
