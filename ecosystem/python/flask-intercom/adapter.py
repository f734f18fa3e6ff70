#!/usr/bin/env python3
"""Ecosystem adapter: a user_hash signer on PyPI `Flask-Intercom` (pinned in ../requirements.txt).

How the integrator configures the library
    app = Flask(__name__); app.config["INTERCOM_SECRET_KEY"] = <the identity verification secret>
    Intercom(app)
        Flask-Intercom's `init_app` registers the template filter `intercom_user_hash`, its only
        way to make a user_hash (Intercom._user_hash: HMAC-SHA256 of `str(value)`, hex).
    The page's template renders the Messenger snippet for a logged-in user only:
        {% if user.user_id or user.email %}{{ (user.user_id or user.email)|intercom_user_hash }}{% endif %}
        the user's id, else the email (Jinja's `or`, so an empty id counts as none, as
        JavaScript's `||` does in Intercom's own Node client); a user with neither is a visitor
        and gets no hash, which this adapter answers as `refused`.
    One Flask app per secret (the adapter is sent the secret with every request; an integrator
    configures it once). `requests`, which Flask-Intercom imports but does not declare, is
    installed beside it.

Flask-Intercom makes no JWTs: a `sign` in `jwt` mode is answered `unsupported`, and no `verify`
either (the adapter offers the signer role only). What Flask-Intercom does differently from the
profile is listed, with the line of its source, in expectations.yaml beside this file.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import flask_intercom  # noqa: E402
from flask import Flask, render_template_string  # noqa: E402
from flask_intercom import Intercom  # noqa: E402

from integrator import refused, serve, signed_hash, unsupported  # noqa: E402

# The adapter's hello, in one place.
HELLO = {
    "type": "hello",
    "protocol": 1,
    "implementation": {"name": "Flask-Intercom", "version": f"Flask-Intercom {flask_intercom.__version__}"},
    "roles": ["signer"],
    "clock": "injected",
    # It makes user_hash values only: JWT signing is a declared lack (docs/protocol.md).
    "lacks": ["sign_jwt"],
}

SNIPPET = "{% if user.user_id or user.email %}{{ (user.user_id or user.email)|intercom_user_hash }}{% endif %}"

apps = {}


def app_for(secret):
    if secret not in apps:
        app = Flask(__name__)
        app.config["INTERCOM_SECRET_KEY"] = secret
        Intercom(app)
        apps[secret] = app
    return apps[secret]


def sign(message):
    if message["mode"] != "user_hash":
        return unsupported(message, "Flask-Intercom makes no JWTs (only the intercom_user_hash filter)")
    user = {"user_id": message["user"].get("user_id"), "email": message["user"].get("email")}
    with app_for(message["secret"]).app_context():
        user_hash = render_template_string(SNIPPET, user=user)
    if user_hash == "":
        return refused(message, "not a logged-in user: the template renders no user_hash")
    return signed_hash(message, user_hash)


if __name__ == "__main__":
    serve(HELLO, sign=sign)
