#!/usr/bin/env python3
"""Bookinfo reviews, in three versions chosen by REVIEWS_VERSION:

  v1  the reviews without stars (does not call ratings)
  v2  with black stars from the ratings service
  v3  with red stars from the ratings service

GET /reviews/<id>   {"id", "podname", "clustername", "version", "reviews": [...]}
GET /health         liveness

Env: REVIEWS_VERSION (v1), RATINGS_URL (http://ratings:9080), RATINGS_TIMEOUT in
seconds (10 for v2 and 2.5 for v3, the timeouts the fault-injection tutorial's
delay step relies on), POD_NAME and CLUSTER_NAME (shown so a reader can tell which
instance answered).
"""

import os
import socket
import sys

from bookinfo_http import App, Route, env_seconds, fetch, json_response, serve, service_url

STAR_COLOR = {"v1": None, "v2": "black", "v3": "red"}
DEFAULT_RATINGS_TIMEOUT = {"v2": 10.0, "v3": 2.5}
RATINGS_UNAVAILABLE = "Ratings service is currently unavailable"

REVIEWS = (
    ("Reviewer1", "A fast, silly and very funny evening: two pairs of twins are a lot of fun."),
    ("Reviewer2", "Good light entertainment, though thinner than the later comedies."),
)


class Reviews:
    def __init__(self, version):
        self.version = version
        self.star_color = STAR_COLOR[version]
        self.ratings_url = service_url("RATINGS_URL", "http://ratings:9080")
        self.ratings_timeout = env_seconds("RATINGS_TIMEOUT", DEFAULT_RATINGS_TIMEOUT.get(version, 10.0))
        self.podname = os.environ.get("POD_NAME") or socket.gethostname()
        self.clustername = os.environ.get("CLUSTER_NAME", "null")

    def reviews(self, request, product_id):
        if not product_id.isdigit():
            return json_response({"error": "please provide a numeric product id"}, 400)
        entries = [{"reviewer": reviewer, "text": text} for reviewer, text in REVIEWS]
        if self.star_color:
            self.add_ratings(entries, product_id, request.forwarded_headers())
        return json_response({"id": product_id, "podname": self.podname, "clustername": self.clustername,
                              "version": self.version, "reviews": entries})

    def add_ratings(self, entries, product_id, headers):
        reply = fetch("%s/ratings/%s" % (self.ratings_url, product_id), headers, self.ratings_timeout)
        stars = (reply.json() or {}).get("ratings") if reply.ok else None
        for entry in entries:
            if isinstance(stars, dict) and isinstance(stars.get(entry["reviewer"]), int):
                entry["rating"] = {"stars": stars[entry["reviewer"]], "color": self.star_color}
            else:
                entry["rating"] = {"error": RATINGS_UNAVAILABLE}

    def health(self, request):
        return json_response({"status": "Reviews is healthy"})

    def app(self):
        return App("reviews-" + self.version, [
            Route("GET", r"/reviews/(?P<product_id>[^/]+)", self.reviews),
            Route("GET", r"/health", self.health),
        ])


def main():
    version = os.environ.get("REVIEWS_VERSION", "v1")
    if version not in STAR_COLOR:
        sys.exit("reviews: REVIEWS_VERSION must be one of %s, got %r" % (", ".join(STAR_COLOR), version))
    serve(Reviews(version).app())


if __name__ == "__main__":
    main()
