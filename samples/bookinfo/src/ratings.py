#!/usr/bin/env python3
"""Bookinfo ratings: how many stars each reviewer gave the book.

GET /ratings/<id>   {"id": <id>, "ratings": {"Reviewer1": 5, "Reviewer2": 4}}
GET /health         liveness
"""

from bookinfo_http import App, Route, json_response, serve

STARS_BY_REVIEWER = {"Reviewer1": 5, "Reviewer2": 4}


def ratings(request, product_id):
    if not product_id.isdigit():
        return json_response({"error": "please provide a numeric product id"}, 400)
    return json_response({"id": int(product_id), "ratings": STARS_BY_REVIEWER})


def health(request):
    return json_response({"status": "Ratings is healthy"})


APP = App("ratings", [
    Route("GET", r"/ratings/(?P<product_id>[^/]+)", ratings),
    Route("GET", r"/health", health),
])

if __name__ == "__main__":
    serve(APP)
