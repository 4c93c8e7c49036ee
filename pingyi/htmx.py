"""Serve a page or, to htmx swaps, only its fragment, from one view."""
from flask import make_response, render_template, request


def is_partial():
    """True when htmx will swap the response into an element, not the whole page."""
    return request.headers.get("HX-Request-Type") == "partial"


def render(page_template, fragment_template, **context):
    """Render the fragment for htmx swaps and the full page for everything else."""
    template = fragment_template if is_partial() else page_template
    response = make_response(render_template(template, is_fragment=is_partial(), **context))
    response.vary.add("HX-Request-Type")
    return response
