#include "core/net/http1.h"

#include <cstring>

namespace mesh::net {

bool iequals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower[i]) return false;
  }
  return true;
}

std::string_view Http1Head::find(std::string_view lower_name, bool* present) const {
  for (uint32_t i = 0; i < count; ++i) {
    if (iequals(name(i), lower_name)) {
      if (present) *present = true;
      return value(i);
    }
  }
  if (present) *present = false;
  return {};
}

namespace {

// RFC 9110 field-value: visible characters, SP, HTAB and obs-text. CR, LF and NUL
// are how smuggling and obs-fold sneak in, so one check covers them all.
bool valid_value_bytes(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

struct Http1Callbacks {
  static Http1Reader* self(llhttp_t* p) { return static_cast<Http1Reader*>(p->data); }

  static int on_message_begin(llhttp_t* p) {
    Http1Reader* r = self(p);
    r->in_message_ = true;
    r->in_head_ = true;
    r->count_ = 0;
    r->in_value_ = false;
    r->url_len_ = 0;
    return 0;
  }

  static int check_head_size(Http1Reader* r, const char* at, size_t len) {
    if (r->offset(at) + len - r->head_start_ > Http1Reader::kMaxHeadBytes) {
      return r->fail(431, "request header block too large");
    }
    return 0;
  }

  static int on_url(llhttp_t* p, const char* at, size_t len) {
    Http1Reader* r = self(p);
    if (r->url_len_ == 0) r->url_off_ = r->offset(at);
    r->url_len_ += static_cast<uint32_t>(len);
    return check_head_size(r, at, len);
  }

  static int on_header_field(llhttp_t* p, const char* at, size_t len) {
    Http1Reader* r = self(p);
    if (!r->in_head_) return 0;  // trailers: parsed for framing, then dropped
    if (r->count_ == 0 || r->in_value_) {
      if (r->count_ == Http1Reader::kMaxHeaders) return r->fail(431, "too many headers");
      r->fields()[r->count_++] = HeaderField{r->offset(at), 0, 0, 0};
      r->in_value_ = false;
    }
    r->fields()[r->count_ - 1].name_len += static_cast<uint32_t>(len);
    // Names are case-insensitive: fold them in place once so every later
    // comparison (hop-by-hop, routing, forwarding) is a plain one, as Envoy does.
    char* name = const_cast<char*>(at);
    for (size_t i = 0; i < len; ++i) {
      if (name[i] >= 'A' && name[i] <= 'Z') name[i] = static_cast<char>(name[i] + 32);
    }
    return check_head_size(r, at, len);
  }

  static int on_header_value(llhttp_t* p, const char* at, size_t len) {
    Http1Reader* r = self(p);
    if (!r->in_head_) return 0;
    if (!valid_value_bytes(at, len)) return r->fail(400, "invalid character in header value");
    HeaderField& f = r->fields()[r->count_ - 1];
    if (f.name_len == 0) return r->fail(400, "empty header name");
    // A value continuing after a gap is a folded line (obs-fold): refused.
    if (r->in_value_ && r->offset(at) != f.value_off + f.value_len) return r->fail(400, "obs-fold in header");
    if (!r->in_value_) {
      f.value_off = r->offset(at);
      r->in_value_ = true;
    }
    f.value_len += static_cast<uint32_t>(len);
    return check_head_size(r, at, len);
  }

  static int on_headers_complete(llhttp_t* p) {
    Http1Reader* r = self(p);
    for (uint32_t i = 0; i < r->count_; ++i) {  // trailing whitespace is not part of a value
      HeaderField& f = r->fields()[i];
      if (f.name_len == 0) return r->fail(400, "empty header name");
      while (f.value_len > 0 && (r->block_[f.value_off + f.value_len - 1] == ' ' ||
                                 r->block_[f.value_off + f.value_len - 1] == '\t')) {
        --f.value_len;
      }
    }
    Http1Head h;
    h.request = r->kind_ == Http1Reader::Kind::kRequest;
    h.method = p->method;
    if (h.request) h.method_name = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    h.url = std::string_view(r->block_ + r->url_off_, r->url_len_);
    h.status = p->status_code;
    h.http_major = p->http_major;
    h.http_minor = p->http_minor;
    h.keep_alive = llhttp_should_keep_alive(p) != 0;
    h.chunked = (p->flags & F_CHUNKED) != 0;
    h.has_content_length = (p->flags & F_CONTENT_LENGTH) != 0;
    h.content_length = p->content_length;
    h.upgrade = p->upgrade != 0;
    h.base = r->block_;
    h.fields = r->fields();
    h.count = r->count_;
    r->in_head_ = false;
    int rc = r->handler_.on_head(h);
    if (rc < 0) return r->fail(r->error_status_ ? r->error_status_ : 400, "rejected by handler");
    return rc;
  }

  static int on_body(llhttp_t* p, const char* at, size_t len) {
    self(p)->handler_.on_body(at, len);
    return 0;
  }

  static int on_message_complete(llhttp_t* p) {
    Http1Reader* r = self(p);
    r->in_message_ = false;
    r->handler_.on_message_complete();
    return HPE_PAUSED;  // one message at a time: pipelined ones wait in the block
  }

  static const llhttp_settings_t* settings() {
    static const llhttp_settings_t s = [] {
      llhttp_settings_t v;
      llhttp_settings_init(&v);
      v.on_message_begin = on_message_begin;
      v.on_url = on_url;
      v.on_header_field = on_header_field;
      v.on_header_value = on_header_value;
      v.on_headers_complete = on_headers_complete;
      v.on_body = on_body;
      v.on_message_complete = on_message_complete;
      return v;
    }();
    return &s;
  }
};

Http1Reader::Http1Reader(Kind kind, BufferPool& pool, Http1Handler& handler)
    : kind_(kind), pool_(pool), handler_(handler) {
  llhttp_init(&parser_, kind == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, Http1Callbacks::settings());
  parser_.data = this;
}

int Http1Reader::fail(int status, const char* reason) {
  if (error_status_ == 0) {
    error_status_ = status;
    error_reason_ = reason;
  }
  return -1;
}

void Http1Reader::release() {
  if (block_ != nullptr) pool_.release(block_);
  block_ = nullptr;
  begin_ = end_ = head_start_ = 0;
}

void Http1Reader::compact() {
  uint32_t from = in_head_ ? head_start_ : begin_;
  if (from == 0) return;
  std::memmove(block_, block_ + from, end_ - from);
  if (in_head_) {
    url_off_ = url_off_ >= from ? url_off_ - from : 0;
    for (uint32_t i = 0; i < count_; ++i) {
      fields()[i].name_off -= from;
      if (fields()[i].value_len > 0 || (in_value_ && i + 1 == count_)) fields()[i].value_off -= from;
    }
  }
  begin_ -= from;
  end_ -= from;
  head_start_ -= std::min(head_start_, from);
}

uv_buf_t Http1Reader::alloc() {
  if (block_ == nullptr) {
    block_ = pool_.acquire();
    begin_ = end_ = head_start_ = 0;
    if (block_ == nullptr) return uv_buf_init(nullptr, 0);
  }
  if (end_ == kDataCapacity) compact();
  return uv_buf_init(block_ + end_, kDataCapacity - end_);
}

void Http1Reader::on_no_data() {
  if (block_ != nullptr && begin_ == end_ && !in_head_) release();
}

ParseStatus Http1Reader::on_data(size_t n) {
  end_ += static_cast<uint32_t>(n);
  if (paused_ || upgraded_ || error_status_ != 0)
    return paused_ ? ParseStatus::kMessageDone : ParseStatus::kNeedMore;
  return execute();
}

ParseStatus Http1Reader::execute() {
  if (!in_message_) head_start_ = begin_;
  const char* start = block_ + begin_;
  llhttp_errno_t err = llhttp_execute(&parser_, start, end_ - begin_);
  if (err == HPE_OK) {
    begin_ = end_;
    if (!in_head_) release();
    return ParseStatus::kNeedMore;
  }
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    begin_ = offset(llhttp_get_error_pos(&parser_));
    if (err == HPE_PAUSED_UPGRADE) {
      upgraded_ = true;
      return ParseStatus::kUpgrade;
    }
    paused_ = true;
    return ParseStatus::kMessageDone;
  }
  if (error_status_ == 0) fail(kind_ == Kind::kRequest ? 400 : 502, llhttp_errno_name(err));
  return ParseStatus::kError;
}

ParseStatus Http1Reader::resume() {
  if (!paused_) return ParseStatus::kNeedMore;
  paused_ = false;
  llhttp_resume(&parser_);
  if (block_ == nullptr || begin_ == end_) {
    release();
    return ParseStatus::kNeedMore;
  }
  return execute();
}

ParseStatus Http1Reader::finish() {
  if (paused_) return ParseStatus::kMessageDone;
  if (error_status_ != 0) return ParseStatus::kError;
  if (!in_message_) return ParseStatus::kNeedMore;  // a clean close between messages
  llhttp_errno_t err = llhttp_finish(&parser_);
  if ((err == HPE_OK || err == HPE_PAUSED) && !in_message_) return ParseStatus::kMessageDone;
  fail(kind_ == Kind::kRequest ? 400 : 502, "connection closed mid-message");
  return ParseStatus::kError;
}

ParseStatus Http1Reader::feed(std::string_view data) {
  ParseStatus st = ParseStatus::kNeedMore;
  while (!data.empty()) {
    uv_buf_t b = alloc();
    if (b.len == 0) return ParseStatus::kError;
    size_t n = std::min<size_t>(b.len, data.size());
    std::memcpy(b.base, data.data(), n);
    data.remove_prefix(n);
    st = on_data(n);
    if (st != ParseStatus::kNeedMore) {
      if (!data.empty() && st == ParseStatus::kMessageDone) {
        // Tests feed whole pipelines: keep the rest buffered behind the pause.
        continue;
      }
      return st;
    }
  }
  return st;
}

std::string_view Http1Reader::unparsed() const {
  if (block_ == nullptr) return {};
  return {block_ + begin_, end_ - begin_};
}

}  // namespace mesh::net
