"""The security headers every response carries: the app's after_request hook sets them on Flask's responses, and
the public questionnaire's fast path (pingyi.surveys.public) sends the same ones."""

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
       "base-uri 'self'; object-src 'none'")

PERMISSIONS = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
               "midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=()")


def security_headers(config):
    """[(name, value)] for a response of the app configured by `config` (HSTS only when it is served over HTTPS)."""
    headers = [("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
               ("Referrer-Policy", "same-origin"), ("Permissions-Policy", PERMISSIONS)]
    if config["HTTPS"]:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers
