"""Filters and globals every template may use."""
from flask import request
from flask_login import current_user
from markupsafe import Markup

from pingyi import once, policy
from pingyi.auth import roles
from pingyi.cache.services import kept, kept_html, todo_count
from pingyi.campaigns.services import current_campaign
from pingyi.exact import show2, show_exact
from pingyi.timeutil import cn_date, cn_datetime, local, today


def install(app):
    app.jinja_env.filters["cn_date"] = cn_date
    app.jinja_env.filters["cn_datetime"] = cn_datetime
    app.jinja_env.filters["pts"] = show_exact  # exact points/weights: 80 → 80, 0.5 → 0.5, 250/3 → 83.3333…
    app.jinja_env.filters["d2"] = show2  # a score shown rounded half up to 2 decimals (63.695 → 63.70)
    app.jinja_env.filters["local_date"] = lambda dt: local(dt).date()  # a stored UTC time's county date

    @app.context_processor
    def globals_():
        campaign = current_campaign() if current_user.is_authenticated else None
        return {"current_campaign": campaign, "roles": roles, "policy": policy, "today": today(),
                "todo_count": _todo_count, "once_field": once.field, "main_nav": _main_nav,
                "site_header": _site_header}

    def _site_header(items=None):
        """The signed-in header: rendered once per user, section, campaign and to-do count while the data is
        unchanged (the names, unit, years and navigation it shows are data), the session's CSRF token put in
        when served. `items`: the page's own to-do list, when it has one."""
        user = current_user._get_current_object()
        campaign = current_campaign()
        waiting = _todo_count(items)
        endpoint = request.endpoint or ""
        section = endpoint if endpoint.startswith("dashboard.") else endpoint.split(".")[0] + "."

        def render(csrf):
            from pingyi.years.services import years_list
            return app.jinja_env.get_template("_header.html").render(
                user=user, campaign=campaign, waiting=waiting, csrf=csrf, nav=_main_nav(), switch_years=years_list(),
                overview_home=user.role in (roles.OFFICE, roles.LEADER) and campaign is not None)
        html, = kept_html("header", (user.id, section, campaign.id if campaign else None, waiting), render, clock=None)
        return html

    def _main_nav():
        """The header's navigation, rendered once per role (and unit), section and data version: it holds no
        form and no per-user text, and every signed-in page shows it."""
        endpoint = request.endpoint or ""
        section = endpoint if endpoint.startswith("dashboard.") else endpoint.split(".")[0] + "."
        overview_home = current_user.role in (roles.OFFICE, roles.LEADER) and current_campaign() is not None
        unit_id = current_user.unit_id if current_user.role == roles.UNIT else None
        return Markup(kept("nav", (current_user.role, unit_id, section, overview_home), lambda: app.jinja_env.get_template(
            "_nav.html").render(ep=section, overview_home=overview_home, current_user=current_user, roles=roles),
            clock=None))

    def _todo_count(items=None):
        """The badge: the page's own to-do list when it has one (the dashboards), else worked out here."""
        if not current_user.is_authenticated:
            return 0
        if items is None:  # kept per user until the data changes (pingyi.cache)
            return todo_count(current_user, current_campaign())
        return sum(count for _, count, _, _ in items)
