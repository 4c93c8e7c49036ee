"""Ranking groups (排名分组) built from the campaign's categories and the key flag, any number of them.

A group is {"name", "categories": [category keys] (empty = every category), "key": one of KEY_RULES,
"published"}. A unit is ranked in the first group that takes it. Groups stored before categories were
data had a fixed "scope"; normalize() reads those the same way."""

KEY_RULES = {"exclude": "不含重点评议部门", "include": "含重点评议部门", "only": "仅重点评议部门"}
OLD_SCOPES = {  # scope -> (categories, key rule): the three categories of the plan were all there was
    "general": (["department", "institution"], "exclude"),
    "stationed": (["stationed"], "exclude"),
    "key": ([], "only"),
    "all": ([], "include"),
}


def normalize(group):
    """A group in the current shape, whichever shape it was stored in."""
    if "categories" in group:
        return group
    categories, key = OLD_SCOPES.get(group.get("scope"), ([], "include"))
    return {"name": group["name"], "categories": list(categories), "key": key,
            "published": group.get("published", True)}


def takes(group, category, is_key):
    group = normalize(group)
    if group["key"] == "only" and not is_key or group["key"] == "exclude" and is_key:
        return False
    return not group["categories"] or category in group["categories"]


def group_index(groups, category, is_key):
    """The first ranking group that takes the unit, or None."""
    return next((index for index, group in enumerate(groups) if takes(group, category, is_key)), None)


def describe(group, labels):
    """Which units a group takes, in words, e.g. "县政府部门、县直企事业单位（不含重点评议部门）"."""
    group = normalize(group)
    names = "、".join(labels.get(k, k) for k in group["categories"]) or "全部类别"
    if group["key"] == "only":
        return "重点评议部门" if not group["categories"] else f"{names}中的重点评议部门"
    return f"{names}（{KEY_RULES[group['key']]}）"


def overlap(a, b):
    """Whether some unit could fit both groups (the second would never get it: refused when saving)."""
    a, b = normalize(a), normalize(b)
    keys_meet = not ({a["key"], b["key"]} == {"only", "exclude"})
    categories_meet = not a["categories"] or not b["categories"] or set(a["categories"]) & set(b["categories"])
    return bool(keys_meet and categories_meet)


def uncovered(groups, labels):
    """Names of the categories some of whose units no group takes (key or non-key), for a warning."""
    out = []
    for key, name in labels.items():
        if not all(any(takes(g, key, is_key) for g in groups) for is_key in (False, True)):
            out.append(name)
    return out
