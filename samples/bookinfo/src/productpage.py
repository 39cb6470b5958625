#!/usr/bin/env python3
"""Bookinfo productpage: the page a reader opens, built from details and reviews.

GET  /productpage                       HTML: the book, its details and its reviews
GET  /login, POST /login, GET /logout   sign in as any user name (a `user` cookie)
GET  /api/v1/products                   the product list
GET  /api/v1/products/<id>              details, from the details service
GET  /api/v1/products/<id>/reviews      reviews, from the reviews service
GET  /api/v1/products/<id>/ratings      ratings, from the ratings service
GET  /health                            liveness

Every backend call carries the signed-in user as `end-user` (what the tutorial's
VirtualServices match on) and the request's id and trace headers. Calls time out
after 3 s; reviews gets one retry, so a hanging reviews costs the page 6 s at most.
When a backend fails the page still renders, with an apology in that section.

Env: DETAILS_URL, REVIEWS_URL, RATINGS_URL (default http://<service>:9080) and
DETAILS_TIMEOUT, REVIEWS_TIMEOUT, RATINGS_TIMEOUT in seconds (default 3).
"""

import re

import productpage_html as page
from bookinfo_http import (App, Route, env_seconds, fetch, html_response, json_response, log, redirect,
                           serve, service_url)

PRODUCTS = [{
    "id": 0,
    "title": "The Comedy of Errors",
    "descriptionHtml": ("<a href=\"https://en.wikipedia.org/wiki/The_Comedy_of_Errors\">Shakespeare</a>'s "
                        "short farce of two pairs of twins separated at birth and mistaken for each other "
                        "all over Ephesus."),
}]

DETAILS_UNAVAILABLE = "Sorry, product details are currently unavailable for this book."
REVIEWS_UNAVAILABLE = "Sorry, product reviews are currently unavailable for this book."
RATINGS_UNAVAILABLE = "Sorry, product ratings are currently unavailable for this book."
REVIEWS_ATTEMPTS = 2  # the first call and one retry

# A user name becomes a cookie and a header value: keep it to plain characters.
USER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
USER_COOKIE_ATTRIBUTES = "Path=/; HttpOnly; SameSite=Lax"


def signed_in_user(request):
    user = request.cookie("user")
    return user if user and USER_NAME.fullmatch(user) else None


def outgoing_headers(request):
    headers = request.forwarded_headers()
    user = signed_in_user(request)
    if user:
        headers["end-user"] = user
    return headers


class Backends:
    """Calls to details, reviews and ratings; each answers (status, JSON value)."""

    def __init__(self):
        self.details_url = service_url("DETAILS_URL", "http://details:9080")
        self.reviews_url = service_url("REVIEWS_URL", "http://reviews:9080")
        self.ratings_url = service_url("RATINGS_URL", "http://ratings:9080")
        self.details_timeout = env_seconds("DETAILS_TIMEOUT", 3.0)
        self.reviews_timeout = env_seconds("REVIEWS_TIMEOUT", 3.0)
        self.ratings_timeout = env_seconds("RATINGS_TIMEOUT", 3.0)

    def details(self, product_id, headers):
        url = "%s/details/%d" % (self.details_url, product_id)
        return self._call("details", url, headers, self.details_timeout, 1, DETAILS_UNAVAILABLE)

    def reviews(self, product_id, headers):
        url = "%s/reviews/%d" % (self.reviews_url, product_id)
        return self._call("reviews", url, headers, self.reviews_timeout, REVIEWS_ATTEMPTS, REVIEWS_UNAVAILABLE)

    def ratings(self, product_id, headers):
        url = "%s/ratings/%d" % (self.ratings_url, product_id)
        return self._call("ratings", url, headers, self.ratings_timeout, 1, RATINGS_UNAVAILABLE)

    @staticmethod
    def _call(name, url, headers, timeout, attempts, apology):
        for attempt in range(1, attempts + 1):
            reply = fetch(url, headers, timeout)
            value = reply.json() if reply.ok else None
            if isinstance(value, dict):
                return 200, value
            log("productpage: %s attempt %d/%d failed: %s" % (name, attempt, attempts, describe(reply)))
            if 400 <= reply.status < 500:
                break  # the request is wrong; asking again will not fix it
        return failure_status(reply), {"error": apology}


def failure_status(reply):
    if not reply.status:
        return 503  # no answer: the service is unavailable
    return 502 if reply.ok else reply.status  # 502: it answered 200 with a body that is not JSON


def describe(reply):
    if reply.error:
        return reply.error
    return "HTTP %d" % reply.status if not reply.ok else "the body is not a JSON object"


class ProductPage:
    def __init__(self, backends):
        self.backends = backends

    def index(self, request):
        return html_response(page.index())

    def health(self, request):
        return json_response({"status": "Product page is healthy"})

    def product_page(self, request):
        product = PRODUCTS[0]
        headers = outgoing_headers(request)
        _, details = self.backends.details(product["id"], headers)
        _, reviews = self.backends.reviews(product["id"], headers)
        return html_response(page.product_page(product, details, reviews, signed_in_user(request)))

    def login_form(self, request):
        return html_response(page.login(signed_in_user(request)))

    def login(self, request):
        user = request.form().get("username", "").strip()
        if not USER_NAME.fullmatch(user):
            return html_response(page.login(None, "Use 1 to 64 letters, digits or . _ @ -"), 400)
        cookie = ("Set-Cookie", "user=%s; %s" % (user, USER_COOKIE_ATTRIBUTES))
        return redirect("/productpage", [cookie])

    def logout(self, request):
        return redirect("/productpage", [("Set-Cookie", "user=; Max-Age=0; " + USER_COOKIE_ATTRIBUTES)])

    def api_products(self, request):
        return json_response(PRODUCTS)

    def api_product(self, request, product_id):
        return self._api_call(self.backends.details, request, product_id)

    def api_reviews(self, request, product_id):
        return self._api_call(self.backends.reviews, request, product_id)

    def api_ratings(self, request, product_id):
        return self._api_call(self.backends.ratings, request, product_id)

    @staticmethod
    def _api_call(backend_call, request, product_id):
        if not product_id.isdigit():
            return json_response({"error": "please provide a numeric product id"}, 400)
        status, value = backend_call(int(product_id), outgoing_headers(request))
        return json_response(value, status)

    def app(self):
        product = r"/api/v1/products/(?P<product_id>[^/]+)"
        return App("productpage", [
            Route("GET", r"/", self.index),
            Route("GET", r"/health", self.health),
            Route("GET", r"/productpage", self.product_page),
            Route("GET", r"/login", self.login_form),
            Route("POST", r"/login", self.login),
            Route("GET", r"/logout", self.logout),
            Route("POST", r"/logout", self.logout),
            Route("GET", r"/api/v1/products", self.api_products),
            Route("GET", product, self.api_product),
            Route("GET", product + r"/reviews", self.api_reviews),
            Route("GET", product + r"/ratings", self.api_ratings),
        ])


if __name__ == "__main__":
    serve(ProductPage(Backends()).app())
