"""``/api/docs``: Swagger UI served from the service's own files, under the strict CSP.

The page, its script and its styles all come from this origin: the Swagger UI
files from the ``swagger-ui-bundle`` package (no CDN), and the few lines that
start it from ``/api/docs/init.js`` (no inline script, so the page works with
``script-src 'self'``). The document's address is handed to that script in a
``data-`` attribute.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, send_from_directory, url_for
from markupsafe import escape
from swagger_ui_bundle import swagger_ui_path

blp = Blueprint("apidocs", __name__)
# The only files of the bundle the page uses; nothing else of the package is served.
ASSETS = {
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "index.css",
    "favicon-32x32.png",
    "favicon-16x16.png",
}
INIT_JS = """\
"use strict";
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
"""
PAGE = """\
<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{title}</title>
    <link rel="stylesheet" href="{css}">
    <link rel="stylesheet" href="{index_css}">
    <link rel="icon" type="image/png" href="{icon}" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui" data-openapi-url="{openapi}"></div>
    <script src="{bundle}"></script>
    <script src="{init}"></script>
  </body>
</html>
"""


@blp.get("/api/docs")
def page() -> Response:
    """The API's human page (Swagger UI over /api/v1/openapi.json)."""
    html = PAGE.format(
        title=escape(f"{current_app.config['API_TITLE']} API"),
        css=url_for("apidocs.asset", name="swagger-ui.css"),
        index_css=url_for("apidocs.asset", name="index.css"),
        icon=url_for("apidocs.asset", name="favicon-32x32.png"),
        openapi=url_for("api-docs.openapi_json"),
        bundle=url_for("apidocs.asset", name="swagger-ui-bundle.js"),
        init=url_for("apidocs.init_script"),
    )
    return Response(html, mimetype="text/html")


@blp.get("/api/docs/init.js")
def init_script() -> Response:
    """The script that starts Swagger UI (a file, so the CSP needs no inline script)."""
    return Response(INIT_JS, mimetype="text/javascript")


@blp.get("/api/docs/assets/<name>")
def asset(name: str) -> Response:
    """A file of the swagger-ui-bundle package."""
    if name not in ASSETS:
        abort(404)
    return send_from_directory(str(swagger_ui_path), name, max_age=86_400)
