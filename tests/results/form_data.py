"""Form fields of the scoring-rules page that tests post: a group's 先进/末位 quota and the return-rate minimum."""
from pingyi.results import quotas


def quota_fields(n, **quota):
    """Group row n's quota fields as the form posts them (the default quota, `quota` overriding)."""
    q = dict(quotas.DEFAULT_QUOTA, **quota)
    fields = {f"group-{n}-{k}": ("" if v is None else "y" if v is True else "n" if v is False else str(v))
              for k, v in q.items()}
    return fields


def return_fields(rate="", ballots="", shortfall="flag"):
    return {"min_return_rate": rate, "min_valid_ballots": ballots, "return_shortfall": shortfall}
