"""The productpage's HTML. Every value from a backend or a user is escaped.

Tests and scripts read two stable markers: `<span id="reviews-version">reviews-vN</span>`
names the reviews version that answered, and stars are `<span class="stars"
style="color: COLOR">` (none for reviews v1).
"""

import re
from html import escape

STYLE = """
body { font-family: sans-serif; margin: 0; color: #222; }
nav { background: #2b3e50; color: #fff; padding: .6em 1.2em; display: flex; justify-content: space-between; }
nav a, nav button { color: #fff; }
main { padding: 1em 1.2em; }
.columns { display: flex; gap: 3em; flex-wrap: wrap; }
section { flex: 1; min-width: 18em; }
dt { font-weight: bold; }
blockquote { border-left: 4px solid #ccc; margin: 0 0 1em; padding: .2em 1em; }
.stars { font-size: 1.4em; }
.error, .rating-error { color: #a00; }
.served-by { color: #666; font-size: .9em; }
"""

DETAIL_FIELDS = (("author", "Author"), ("year", "Year"), ("type", "Type"), ("pages", "Pages"),
                 ("publisher", "Publisher"), ("language", "Language"), ("ISBN-10", "ISBN-10"),
                 ("ISBN-13", "ISBN-13"))


def document(title, body):
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n%s\n</body>\n</html>\n"
            % (escape(title), STYLE, body))


def index():
    return document("Bookinfo", "<nav><span>Bookinfo Sample</span></nav>\n<main>\n<h1>Bookinfo</h1>\n"
                    "<p>A book's page built by four services: productpage, details, reviews and ratings.</p>\n"
                    "<p><a href=\"/productpage\">Open the product page</a></p>\n</main>")


def user_bar(user):
    if user:
        return ("<span>Signed in as <b id=\"user\">%s</b> &middot; <a href=\"/logout\">Sign out</a></span>"
                % escape(user))
    return ("<form method=\"post\" action=\"/login\"><input name=\"username\" placeholder=\"User name\" required> "
            "<input name=\"passwd\" type=\"password\" placeholder=\"Password\"> <button>Sign in</button></form>")


def login(user, problem=None):
    note = "<p class=\"error\">%s</p>\n" % escape(problem) if problem else ""
    current = "<p>Signed in as <b id=\"user\">%s</b>.</p>\n" % escape(user) if user else ""
    return document("Sign in", "<nav><span>Bookinfo Sample</span></nav>\n<main>\n<h1>Sign in</h1>\n%s%s"
                    "<p>Any user name works; the password is not checked.</p>\n%s\n</main>"
                    % (note, current, user_bar(None)))


def details_section(details):
    if "error" in details:
        return "<p class=\"error\">%s</p>" % escape(str(details["error"]))
    rows = ["<dt>%s</dt><dd>%s</dd>" % (label, escape(str(details[key])))
            for key, label in DETAIL_FIELDS if key in details]
    return "<dl>\n%s\n</dl>" % "\n".join(rows)


def stars(rating):
    if "error" in rating:
        return "<p class=\"rating-error\">%s</p>" % escape(str(rating["error"]))
    count = rating.get("stars")
    count = max(0, min(5, count)) if isinstance(count, int) else 0
    color = str(rating.get("color", "black"))
    color = color if re.fullmatch(r"[a-z]{1,20}", color) else "black"
    return ("<span class=\"stars\" style=\"color: %s\" title=\"%d of 5 stars\">%s%s</span>"
            % (color, count, "\u2605" * count, "\u2606" * (5 - count)))


def review_entry(review):
    rating = review.get("rating")
    return ("<blockquote class=\"review\">\n<p>%s</p>\n<footer>%s</footer>\n%s\n</blockquote>"
            % (escape(str(review.get("text", ""))), escape(str(review.get("reviewer", ""))),
               stars(rating) if isinstance(rating, dict) else ""))


def reviews_section(reviews):
    if "error" in reviews:
        return "<p class=\"error\">%s</p>" % escape(str(reviews["error"]))
    entries = reviews.get("reviews")
    entries = [review_entry(r) for r in entries if isinstance(r, dict)] if isinstance(entries, list) else []
    served_by = ("<p class=\"served-by\">Reviews served by: <span id=\"reviews-version\">reviews-%s</span> "
                 "on pod <span id=\"reviews-pod\">%s</span> (cluster %s)</p>"
                 % (escape(str(reviews.get("version", "unknown"))), escape(str(reviews.get("podname", "-"))),
                    escape(str(reviews.get("clustername", "-")))))
    return "\n".join(entries + [served_by])


def product_page(product, details, reviews, user):
    body = ("<nav><span>Bookinfo Sample</span>%s</nav>\n<main>\n<h1>%s</h1>\n<p class=\"summary\">%s</p>\n"
            "<div class=\"columns\">\n<section id=\"details\">\n<h2>Book Details</h2>\n%s\n</section>\n"
            "<section id=\"reviews\">\n<h2>Book Reviews</h2>\n%s\n</section>\n</div>\n</main>"
            % (user_bar(user), escape(product["title"]), product["descriptionHtml"],
               details_section(details), reviews_section(reviews)))
    return document("Simple Bookstore App", body)
