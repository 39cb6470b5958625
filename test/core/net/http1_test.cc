// HTTP/1 codec: in-place heads, bodies, pipelining, and every smuggling shape refused.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/net/http1.h"

using mesh::net::BufferPool;
using mesh::net::Http1Head;
using mesh::net::Http1Reader;
using mesh::net::ParseStatus;

namespace {

struct Recorder : mesh::net::Http1Handler {
  std::vector<std::string> urls, methods;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int status = 0, messages = 0;
  bool keep_alive = false, chunked = false;
  uint64_t content_length = 0;
  int head_result = 0;
  int on_head(const Http1Head& h) override {
    urls.emplace_back(h.url);
    methods.emplace_back(h.method_name);
    headers.clear();
    for (uint32_t i = 0; i < h.count; ++i) headers.emplace_back(h.name(i), h.value(i));
    status = h.status;
    keep_alive = h.keep_alive;
    chunked = h.chunked;
    content_length = h.content_length;
    return head_result;
  }
  void on_body(const char* d, size_t n) override { body.append(d, n); }
  void on_message_complete() override { ++messages; }
};

struct Fixture {
  BufferPool pool;
  Recorder rec;
  Http1Reader reader{Http1Reader::Kind::kRequest, pool, rec};
};

ParseStatus parse(const std::string& bytes, int* status = nullptr) {
  BufferPool pool;
  Recorder rec;
  Http1Reader r(Http1Reader::Kind::kRequest, pool, rec);
  ParseStatus st = r.feed(bytes);
  if (status) *status = r.error_status();
  return st;
}

}  // namespace

TEST_CASE("request head parsed in place, then the block is returned") {
  Fixture f;
  CHECK(f.reader.feed("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Y:  v w \r\n\r\n") == ParseStatus::kMessageDone);
  REQUIRE(f.rec.urls.size() == 1);
  CHECK(f.rec.urls[0] == "/a?b=1");
  CHECK(f.rec.methods[0] == "GET");
  REQUIRE(f.rec.headers.size() == 2);
  CHECK(f.rec.headers[0] == std::pair<std::string, std::string>{"host", "x"});
  CHECK(f.rec.headers[1].second == "v w");
  CHECK(f.rec.keep_alive);
  CHECK(f.reader.resume() == ParseStatus::kNeedMore);
  CHECK_FALSE(f.reader.holds_block());
  CHECK(f.pool.in_use() == 0);
}

TEST_CASE("head split across many reads, byte by byte") {
  Fixture f;
  std::string req =
      "POST /up HTTP/1.1\r\nHost: example\r\nContent-Length: 5\r\nX-Long: abcdefghij\r\n\r\nhello";
  ParseStatus st = ParseStatus::kNeedMore;
  for (char c : req) st = f.reader.feed(std::string(1, c));
  CHECK(st == ParseStatus::kMessageDone);
  CHECK(f.rec.headers.size() == 3);
  CHECK(f.rec.headers[2].second == "abcdefghij");
  CHECK(f.rec.body == "hello");
  CHECK(f.rec.content_length == 5);
}

TEST_CASE("pipelined requests pause after each message") {
  Fixture f;
  CHECK(f.reader.feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n") ==
        ParseStatus::kMessageDone);
  CHECK(f.rec.messages == 1);
  CHECK(f.reader.holds_block());
  CHECK(f.reader.resume() == ParseStatus::kMessageDone);
  CHECK(f.rec.messages == 2);
  CHECK(f.rec.urls[1] == "/2");
  CHECK(f.reader.resume() == ParseStatus::kNeedMore);
  CHECK(f.pool.in_use() == 0);
}

TEST_CASE("chunked body decoded, chunk extensions ignored") {
  Fixture f;
  CHECK(f.reader.feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n") ==
        ParseStatus::kMessageDone);
  CHECK(f.rec.chunked);
  CHECK(f.rec.body == "hello world");
  CHECK(f.rec.headers.size() == 2);  // trailers are not headers
}

TEST_CASE("HTTP/1.0 and Connection: close are not keep-alive") {
  Fixture f;
  f.reader.feed("GET / HTTP/1.0\r\n\r\n");
  CHECK_FALSE(f.rec.keep_alive);
  Fixture g;
  g.reader.feed("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK_FALSE(g.rec.keep_alive);
}

TEST_CASE("response parsing: content-length, close-delimited, HEAD") {
  BufferPool pool;
  Recorder rec;
  Http1Reader r(Http1Reader::Kind::kResponse, pool, rec);
  CHECK(r.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") == ParseStatus::kMessageDone);
  CHECK(rec.status == 200);
  CHECK(r.resume() == ParseStatus::kNeedMore);
  CHECK(r.feed("HTTP/1.1 200 OK\r\n\r\nuntil close") == ParseStatus::kNeedMore);
  CHECK(r.finish() == ParseStatus::kMessageDone);
  CHECK(rec.body == "okuntil close");

  Http1Reader h(Http1Reader::Kind::kResponse, pool, rec);
  rec.head_result = 1;  // a response to HEAD has no body whatever Content-Length says
  CHECK(h.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n") == ParseStatus::kMessageDone);
}

TEST_CASE("malformed response is a 502-class error") {
  BufferPool pool;
  Recorder rec;
  Http1Reader r(Http1Reader::Kind::kResponse, pool, rec);
  CHECK(r.feed("HTTP/1.1 abc OK\r\n\r\n") == ParseStatus::kError);
  CHECK(r.error_status() == 502);
}

TEST_CASE("smuggling shapes are refused with 400") {
  const char* bad[] = {
      // Content-Length together with Transfer-Encoding
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
      // two different Content-Lengths, and a list
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n",
      // bad chunk sizes
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nx\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
      // Transfer-Encoding that does not end in chunked, or is obfuscated
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabc",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
      // obs-fold
      "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n",
      // NUL, bare CR, bare LF inside values
      "GET / HTTP/1.1\r\nHost: a\r\nX-A: o\rne\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\nX-B: two\r\n\r\n",
      // invalid methods and request lines
      "GETT / HTTP/1.1\r\nHost: a\r\n\r\n",
      "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/9.1\r\nHost: a\r\n\r\n",
      "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Name: a\r\n\r\n",
      "GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
  };
  for (const char* raw : bad) {
    std::string bytes(raw, raw + std::char_traits<char>::length(raw));
    int status = 0;
    CAPTURE(bytes);
    CHECK(parse(bytes, &status) == ParseStatus::kError);
    CHECK(status == 400);
  }
  // NUL inside a value (the literal above stops at the NUL).
  int status = 0;
  CHECK(parse(std::string("GET / HTTP/1.1\r\nHost: a\r\nX-A: o\0ne\r\n\r\n", 39), &status) ==
        ParseStatus::kError);
  CHECK(status == 400);
}

TEST_CASE("header block over 60 KiB is 431, just under is fine") {
  std::string big(61 * 1024, 'a');
  int status = 0;
  CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n", &status) == ParseStatus::kError);
  CHECK(status == 431);
  std::string fits(58 * 1024, 'a');
  CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + fits + "\r\n\r\n") == ParseStatus::kMessageDone);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 200; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(parse(many + "\r\n", &status) == ParseStatus::kError);
  CHECK(status == 431);
}

TEST_CASE("a head arriving after a large body is compacted to the block start") {
  Fixture f;
  std::string body(40000, 'b');
  std::string first = "POST / HTTP/1.1\r\nContent-Length: 40000\r\n\r\n" + body;
  std::string second = "GET /next HTTP/1.1\r\nX-Pad: " + std::string(30000, 'p') + "\r\n\r\n";
  CHECK(f.reader.feed(first + second) == ParseStatus::kMessageDone);
  CHECK(f.reader.resume() == ParseStatus::kMessageDone);
  CHECK(f.rec.urls.back() == "/next");
  CHECK(f.rec.headers[0].second.size() == 30000);
}
