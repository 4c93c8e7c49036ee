"""Long titles break into lines that fit the 156 mm line at word boundaries, never inside a name's words."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pingyi.documents.builders import TITLE_LINE, _title_lines
from pingyi.documents.gbt9704 import set_width

LONG_NAMES = ["国家税务总局青山县税务局第一税务分局办税服务厅", "中国农业银行股份有限公司青山县支行营业部",
              "青山县住房和城乡建设局（县人民防空办公室）", "国网湖南省电力有限公司青山县供电分公司",
              "青山县人力资源和社会保障局社会保险服务中心", "县公安局"]
TEMPLATES = ["关于督促{}限期完成政风行风评议有关工作的函", "关于限期整改{}政风行风问题的通知",
             "关于{}政风行风评议意见的反馈通知书"]


@pytest.mark.parametrize("name", LONG_NAMES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_a_long_title_breaks_at_word_boundaries_into_lines_that_fit(template, name):
    title = template.format(name)
    lines = _title_lines(title).split("\n")
    assert "".join(lines) == title
    assert all(set_width(line) <= TITLE_LINE for line in lines)
    joints = [line[-1] + following[0] for line, following in zip(lines, lines[1:])]
    for word in ("政风", "风行", "行风", "评议", "限期", "有限", "公司", "办公", "中心"):
        assert word not in joints, (lines, word)


def test_the_plan_titles_keep_their_two_line_trapezoid():
    assert _title_lines("关于开展2026年度政风行风评议工作的通知") == "关于开展2026年度\n政风行风评议工作的通知"
    assert _title_lines("关于县公安局政风行风评议意见的反馈通知书") == "关于县公安局\n政风行风评议意见的反馈通知书"
    assert _title_lines("关于2026年度政风行风评议结果的通报") == "关于2026年度\n政风行风评议结果的通报"


@settings(max_examples=200, deadline=None, database=None)
@given(name=st.text(alphabet="县区市局委办院所厅处队站公司中心服务分部银行（）ABC123国家税务总局青山", min_size=1, max_size=60))
def test_any_unit_name_gives_lines_that_join_back_to_the_title(name):
    title = f"关于督促{name}限期完成政风行风评议有关工作的函"
    lines = _title_lines(title).split("\n")
    assert "".join(lines) == title
    assert all(line for line in lines)
