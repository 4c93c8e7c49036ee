"""Unit pages kept rendered (pingyi.cache.services.kept_html): the part of a page that is the same for every
viewer the key names, with the session's CSRF token swapped for the per-process stand-in before it is kept."""
from flask import render_template
from flask_wtf.csrf import generate_csrf


def render_for_keeping(csrf, template, **context):
    """render_template(template, **context) with every CSRF token it holds (forms, post_button) replaced by
    `csrf`, so kept_html puts each session's own token back as the HTML is served."""
    html = render_template(template, **context)
    return html.replace(generate_csrf(), csrf)
