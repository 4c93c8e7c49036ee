"""The settings form's score-component fields as the page shows them, for tests that post the form."""
from pingyi.results.components import NUMBER_PARAMS, form_rows, stored
from pingyi.surveys import services as surveys


def component_fields(config_or_list, campaign=None):
    """{field: value} of `comp-N-*` for a config's components (or a list of stored components); type weights and
    option points need `campaign` to find the ids their names and labels belong to."""
    listed = config_or_list if isinstance(config_or_list, list) else stored(config_or_list)
    types = {t.name: t.id for t in surveys.respondent_types(campaign.id)} if campaign else {}
    options = {o.label: o.id for o in surveys.options(campaign.id)} if campaign else {}
    data = {}
    for n, c in enumerate(form_rows(listed)):
        p = f"comp-{n}-"
        data.update({p + "key": c["key"], p + "name": c["name"], p + "kind": c["kind"], p + "weight": c["weight"],
                     p + "missing": c.get("missing", "")})
        for param in NUMBER_PARAMS.get(c["kind"], {}):
            data[p + param] = c[param]
        if c["kind"] == "survey":
            data[p + "mode"] = c["mode"]
            data[p + "questionnaires"] = [str(q) for q in c["questionnaires"]]
            data.update({f"{p}qw-{k}": v for k, v in c["question_weights"].items()})
            data.update({f"{p}tw-{types[k]}": v for k, v in c["type_weights"].items()})
            data.update({f"{p}op-{options[k]}": v for k, v in c["option_points"].items()})
        if c["kind"] == "checklist":
            data.update({f"{p}dw-{k}": v for k, v in c["dimension_weights"].items()})
            data.update({f"{p}iw-{k}": v for k, v in c["item_weights"].items()})
        if c["kind"] == "rectification":
            data[p + "rmode"] = c["mode"]
    return data


def field_of(data, name, param):
    """The form field of `param` of the component called `name`."""
    n = next(k.split("-")[1] for k, v in data.items() if k.endswith("-name") and k.startswith("comp-") and v == name)
    return f"comp-{n}-{param}"
