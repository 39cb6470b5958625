#!/usr/bin/env python3
"""Bookinfo details: the book's facts (author, year, ISBN...) as JSON.

GET /details/<id>   the book, for any numeric product id
GET /health         liveness
"""

from bookinfo_http import App, Route, json_response, serve


def book(product_id):
    return {
        "id": product_id,
        "author": "William Shakespeare",
        "year": 1595,
        "type": "paperback",
        "pages": 200,
        "publisher": "PublisherA",
        "language": "English",
        "ISBN-10": "1234567890",
        "ISBN-13": "123-1234567890",
    }


def details(request, product_id):
    if not product_id.isdigit():
        return json_response({"error": "please provide a numeric product id"}, 400)
    return json_response(book(int(product_id)))


def health(request):
    return json_response({"status": "Details is healthy"})


APP = App("details", [
    Route("GET", r"/details/(?P<product_id>[^/]+)", details),
    Route("GET", r"/health", health),
])

if __name__ == "__main__":
    serve(APP)
