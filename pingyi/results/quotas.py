"""先进 and 末位 per ranking group (名额): a count and/or a share of the group, a score line, and what ties do.

A group's quota is kept inside the group (groups_json, key "quota") as JSON-ready values:
    {"min_size": 2,                        # 先进/末位 are named only when at least this many units are ranked
     "top_count": 3, "top_share": "30",    # at most 3 and at most 30 % (rounded down); None = no such limit
     "top_min": "90", "top_inclusive": True, "top_ties": "none",
     "bottom_count": 1, "bottom_share": None,
     "bottom_max": None, "bottom_inclusive": True, "bottom_ties": "together"}
With neither a count nor a share, nobody is named. Ties on the last place that fits: "together" names all the
tied units even beyond the quota, "none" names none of them. A vetoed unit is never 先进.

A rule is refused when saving if, for some number of ranked units the group could have, it would name the
same unit both 先进 and 末位 or every unit 末位 (refusals()); the live data is checked too (data_refusals()).
"""
from pingyi.exact import exact_text, parse_exact, read_number
from pingyi.forms import plain_int

TIES = {"together": "并列的一并评定（可超出名额）", "none": "并列的都不评定（不超出名额）"}
DEFAULT_QUOTA = {"min_size": 2, "top_count": 3, "top_share": "30", "top_min": "90", "top_inclusive": True,
                 "top_ties": "none", "bottom_count": 1, "bottom_share": None, "bottom_max": None,
                 "bottom_inclusive": True, "bottom_ties": "together"}
FIELDS = tuple(DEFAULT_QUOTA)


def quota_of(group):
    """A group's quota with every key present (groups saved before quotas were per group get the default)."""
    return {**DEFAULT_QUOTA, **(group.get("quota") or {})}


def _x(value):
    return None if value in (None, "") else parse_exact(value)


def limit(count, share, n):
    """How many of n ranked units a count and/or share allows: the smaller of the two; 0 when neither is set."""
    limits = [count] if count is not None else []
    if share not in (None, ""):
        share = parse_exact(share)
        limits.append(int(n * share // 100))
    return min(limits) if limits else 0


def reaches(value, bound, inclusive):
    """≥ (以上) when inclusive, > (高于) otherwise."""
    return value > bound or (inclusive and value == bound)


def under(value, bound, inclusive):
    """≤ (以下) when inclusive, < (低于) otherwise."""
    return value < bound or (inclusive and value == bound)


def _take(places, limit_n, ties, fits):
    """Walk `places` ([[keys tied on one place]] best-placed first for this side), taking whole places while
    they fit the limit and `fits(place)` holds; a tie crossing the limit is taken whole or not at all."""
    named = []
    for tied in places:
        if not tied:
            continue  # a place held only by vetoed units is passed over
        if len(named) >= limit_n or not fits(tied):
            break
        if len(named) + len(tied) > limit_n:
            if ties == "together":
                named += tied
            break
        named += tied
    return set(named)


def named(ranks, totals, vetoed, quota):
    """(先进, 末位) of one group, each a set of keys; the two may meet (the caller shows that as a problem)."""
    q = quota_of({"quota": quota})
    n = len(ranks)
    if not n or n < (q["min_size"] or 0):
        return set(), set()
    by_rank = {}
    for key, rank in ranks.items():
        by_rank.setdefault(rank, []).append(key)
    top_min, bottom_max = _x(q["top_min"]), _x(q["bottom_max"])
    top_places = [sorted(k for k in by_rank[r] if k not in vetoed) for r in sorted(by_rank)]
    top = _take(top_places, limit(q["top_count"], q["top_share"], n), q["top_ties"],
                lambda tied: top_min is None or reaches(totals[tied[0]], top_min, q["top_inclusive"]))
    bottom_places = [sorted(by_rank[r]) for r in sorted(by_rank, reverse=True)]
    bottom = _take(bottom_places, limit(q["bottom_count"], q["bottom_share"], n), q["bottom_ties"],
                   lambda tied: bottom_max is None or under(totals[tied[0]], bottom_max, q["bottom_inclusive"]))
    return top, bottom


def _scores_meet(q):
    """Whether some total could both reach the 先进 line and stay under the 末位 line."""
    top_min, bottom_max = _x(q["top_min"]), _x(q["bottom_max"])
    if top_min is None or bottom_max is None:
        return True
    return top_min < bottom_max or (top_min == bottom_max and q["top_inclusive"] and q["bottom_inclusive"])


def refusals(quota, largest):
    """Why a quota cannot be saved for a group that could have up to `largest` ranked units, or None:
    some size would name a unit both 先进 and 末位, or every unit 末位."""
    q = quota_of({"quota": quota})
    shares = [parse_exact(q[k]) for k in ("top_share", "bottom_share") if q[k] not in (None, "")]
    if (q["top_count"] is not None or q["top_share"] not in (None, "")) and len(shares) == 2 and sum(shares) > 100 \
            and _scores_meet(q):
        return (f"先进比例 {exact_text(shares[0])}% 与末位比例 {exact_text(shares[1])}% 合计超过 100%，"
                "单位多时会有单位既是先进又是末位")
    for n in range(max(1, q["min_size"] or 0), max(largest, q["min_size"] or 0) + 1):
        top, bottom = limit(q["top_count"], q["top_share"], n), limit(q["bottom_count"], q["bottom_share"], n)
        if bottom >= n:
            return (f"本组只有 {n} 个单位排名时，末位 {bottom} 个即本组全部单位都是末位：请减少末位名额，"
                    f"或把“至少几个单位排名才评先进、末位”设为 {n + 1} 以上")
        if top + bottom > n and _scores_meet(q):
            return (f"本组有 {n} 个单位排名时，先进 {top} 个、末位 {bottom} 个，合计超过 {n} 个，"
                    f"会有单位既是先进又是末位：请减少名额、设分数线把两者分开，或把“至少几个单位排名才评先进、末位”设为 {n + 1} 以上")
    return None


def data_refusals(groups, details):
    """{group index: message} for the results as computed now: a unit named both 先进 and 末位 (ties named
    together), or every ranked unit of a group 末位. `details`: scoring details (evaluate())."""
    out = {}
    for index, group in enumerate(groups):
        ranked = [d for d in details.values() if d.get("group") == index and d.get("rank") is not None]
        both = [d["unit"] for d in ranked if d.get("both_marks")]
        if both:
            out[index] = (f"按现有数据，“{group['name']}”中{'、'.join(both)}同分并列，会同时被评为先进和末位："
                          "请把并列时的处理改为“并列的都不评定”，或调整名额")
        elif ranked and all(d.get("mark") == "bottom" for d in ranked):
            out[index] = (f"按现有数据，“{group['name']}”的 {len(ranked)} 个排名单位会全部被评为末位"
                          "（同分并列）：请把末位并列时的处理改为“并列的都不评定”，或调整名额")
    return out


def _at_least(bound, inclusive):
    shown = exact_text(bound)
    return f"{shown} 分以上（含 {shown} 分）" if inclusive else f"高于 {shown} 分（不含 {shown} 分）"


def _at_most(bound, inclusive):
    shown = exact_text(bound)
    return f"{shown} 分以下（含 {shown} 分）" if inclusive else f"低于 {shown} 分（不含 {shown} 分）"


def _how_many(count, share):
    parts = []
    if count is not None:
        parts.append(f"最多 {count} 个")
    if share not in (None, ""):
        parts.append(f"不超过本组排名单位数的 {exact_text(parse_exact(share))}%（向下取整）")
    return "，且".join(parts)


def words(quota):
    """The quota in words for the settings page, the results page and the bulletin: (先进, 末位, 条件)."""
    q = quota_of({"quota": quota})
    if q["top_count"] is None and q["top_share"] in (None, ""):
        top = "不评先进"
    else:
        top = "先进" + _how_many(q["top_count"], q["top_share"])
        if _x(q["top_min"]) is not None:
            top += "，综合得分须" + _at_least(_x(q["top_min"]), q["top_inclusive"])
        top += "，被一票否决的不评；名额边界上同分" + TIES[q["top_ties"]]
    if q["bottom_count"] is None and q["bottom_share"] in (None, ""):
        bottom = "不评末位"
    else:
        bottom = "末位按名次从后往前" + _how_many(q["bottom_count"], q["bottom_share"])
        if _x(q["bottom_max"]) is not None:
            bottom += "，综合得分须" + _at_most(_x(q["bottom_max"]), q["bottom_inclusive"])
        bottom += "；名额边界上同分" + TIES[q["bottom_ties"]]
    condition = f"本组排名单位不少于 {q['min_size']} 个时才评定先进和末位" if q["min_size"] else ""
    return top, bottom, condition


def form_values(quota):
    """A quota as the form shows it (strings)."""
    q = quota_of({"quota": quota})
    return {k: "" if q[k] is None else q[k] if isinstance(q[k], bool) else str(q[k]) for k in FIELDS}


def parse(form, n):
    """(typed values, quota to store, {field: message}) of group row n's quota fields (group-{n}-top_count …)."""
    get = lambda k: (form.get(f"group-{n}-{k}") or "").strip()  # noqa: E731
    typed, clean, errors = {}, {}, {}
    for key, label, high in (("min_size", "评定先进、末位的最少排名单位数", 1000), ("top_count", "先进名额", 1000),
                             ("bottom_count", "末位名额", 1000)):
        typed[key] = get(key)
        if typed[key] == "" and key != "min_size":
            clean[key] = None
        elif plain_int(typed[key], high) is not None:
            clean[key] = plain_int(typed[key], high)
        else:
            errors[key] = f"{label}应为 0 至 {high} 的整数" + ("，不设名额请留空" if key != "min_size" else "")
    for key, label in (("top_share", "先进比例"), ("bottom_share", "末位比例"), ("top_min", "先进分数线"),
                       ("bottom_max", "末位分数线")):
        typed[key] = get(key)
        if typed[key] == "":
            clean[key] = None
            continue
        value, message = read_number(typed[key], label, 0, 100)
        if message:
            errors[key] = message + "（不设请留空）"
        else:
            clean[key] = exact_text(value)
    for key in ("top_inclusive", "bottom_inclusive"):
        typed[key] = get(key) != "n"
        clean[key] = typed[key]
        if get(key) not in ("y", "n"):
            errors[key] = "请选择恰好等于分数线时是否评定（以上／以下含本数，高于／低于不含）"
    for key in ("top_ties", "bottom_ties"):
        typed[key] = clean[key] = get(key)
        if typed[key] not in TIES:
            errors[key] = "请选择名额边界上同分并列时的处理"
    return typed, clean, errors


def migrated(top_count, top_share, top_min_score, top_min_inclusive, bottom_count):
    """The per-group quota that reproduces the campaign-wide rule of before (every group got the same):
    先进 ties not named beyond the quota, 末位 ties named together; min_size is the smallest group the old
    rule could not have named entirely 末位 or both, so every larger group's marks stay as they were."""
    quota = dict(DEFAULT_QUOTA, top_count=int(top_count), top_share=exact_text(parse_exact(top_share)),
                 top_min=exact_text(parse_exact(top_min_score)), top_inclusive=bool(top_min_inclusive),
                 top_ties="none", bottom_count=int(bottom_count), bottom_share=None, bottom_max=None,
                 bottom_inclusive=True, bottom_ties="together")
    size = 1
    while limit(quota["bottom_count"], None, size) >= size or \
            limit(quota["top_count"], quota["top_share"], size) + quota["bottom_count"] > size:
        size += 1
    quota["min_size"] = size if quota["bottom_count"] else 1
    if not quota["bottom_count"]:
        quota["bottom_count"] = None
    return quota

