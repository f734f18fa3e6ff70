#!/usr/bin/env python3
"""Ecosystem adapter: a user_hash signer on PyPI `django-intercom` (pinned in ../requirements.txt).

How the integrator configures the library
    settings: INSTALLED_APPS += ["django_intercom"], INTERCOM_APPID = "<app id>",
    INTERCOM_SECURE_KEY = <the identity verification secret>; every other INTERCOM_* setting
    left at its default (INTERCOM_INCLUDE_USERID True, no user data class).
    The page template does `{% load intercom %}{% intercom_tag %}`. The tag
    (django_intercom.templatetags.intercom.intercom_tag) takes the template context, reads
    `request.user`, and for an authenticated user computes the user_hash over `user.id`, else
    `user.email`; the template prints it. This adapter calls the tag with the context a view
    gives it and answers the `user_hash` the tag puts in the template's context.
    The request's user is a Django-shaped user: `id` the user's id (None without one), `email`
    the email or "" without one (Django's User stores a blank email as ""), authenticated when
    the user has an id or an email; without either the request is anonymous, the tag makes no
    hash, and the adapter answers `refused`.
    django-intercom copies its settings into module constants when it is imported, so the
    secret of each request is set on that constant (what INTERCOM_SECURE_KEY becomes).

django-intercom makes no JWTs: a `sign` in `jwt` mode is answered `unsupported`, and no
`verify` either (the adapter offers the signer role only). What django-intercom does
differently from the profile is listed, with the line of its source, in expectations.yaml
beside this file.
"""

import os
import sys
from datetime import datetime, timezone
from importlib.metadata import version

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    INSTALLED_APPS=["django_intercom"],
    INTERCOM_APPID="conformance-app",
    INTERCOM_SECURE_KEY=None,
    USE_TZ=True,
)
django.setup()

from django_intercom.templatetags import intercom as intercom_tags  # noqa: E402

from integrator import refused, serve, signed_hash, unsupported  # noqa: E402

# The adapter's hello, in one place.
HELLO = {
    "type": "hello",
    "protocol": 1,
    "implementation": {"name": "django-intercom", "version": f"django-intercom {version('django-intercom')}"},
    "roles": ["signer"],
    "clock": "injected",
    # It makes user_hash values only: JWT signing is a declared lack (docs/protocol.md).
    "lacks": ["sign_jwt"],
}


class User:
    """What django-intercom reads of `request.user`."""

    def __init__(self, user_id, email):
        self.id = user_id
        self.email = "" if email is None else email
        self.username = email or user_id or ""
        self.date_joined = datetime(2026, 1, 1, tzinfo=timezone.utc)
        self.is_authenticated = user_id is not None or email is not None


class Session:
    session_key = None


class Request:
    def __init__(self, user):
        self.user = user
        self.session = Session()


def sign(message):
    if message["mode"] != "user_hash":
        return unsupported(message, "django-intercom makes no JWTs (only the intercom_tag's user_hash)")
    intercom_tags.INTERCOM_SECURE_KEY = message["secret"]
    user = User(message["user"].get("user_id"), message["user"].get("email"))
    context = intercom_tags.intercom_tag({"request": Request(user)})
    if not context.get("user_hash"):
        return refused(message, "an anonymous request: the intercom_tag renders no user_hash")
    return signed_hash(message, context["user_hash"])


if __name__ == "__main__":
    serve(HELLO, sign=sign)
