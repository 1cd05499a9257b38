"""The web page a report may have instead of a form (a manifest's `app_url`).

A manifest comes from an engine we do not control, and its app_url is
opened in the report page or in the user's browser. Only https is taken,
and plain http only for a page on this machine (a local engine); an address
with a user name or password in it, or any other scheme (file:, javascript:,
data:), is refused with words saying why.
"""

import urllib.parse

from app.addresses import has_user_info, is_loopback_host, url_problem


def app_url_problem(url: str) -> str | None:
    """Why the report's web page at url may not be opened; None if it may."""
    text = url.strip()
    if has_user_info(text):
        return "its address holds a user name or password, which is not allowed"
    problem = url_problem(text)
    if problem is not None:
        return f"its address is not valid: {problem}"

    parsed = urllib.parse.urlsplit(text)
    scheme = parsed.scheme.lower()
    host = parsed.hostname or ""
    if scheme not in ("http", "https") or not host:
        return "its address must start with https:// and name a host"
    if scheme == "http" and not is_loopback_host(host):
        return (
            "its address uses plain http, which is allowed only for a page on "
            "this computer; the report's page must use https"
        )
    return None
