// HTTP/1.x codec over llhttp for both directions (requests downstream, responses
// upstream). Bytes are read straight into a pooled block; header names and values
// are recorded as offsets into it ("parsed in place") and handed to the handler
// once the head is complete. The block goes back to the pool whenever every byte
// has been parsed and no head is half-read, so idle connections hold none.
//
// Strict: llhttp's lenient flags stay off, and on top of it control characters in
// values (NUL, CR, LF: smuggling and obs-fold), more than kMaxHeaders fields or a
// head over kMaxHeadBytes are refused.
#pragma once

#include <llhttp.h>
#include <uv.h>

#include <cstdint>
#include <string_view>

#include "core/net/buffer_pool.h"

namespace mesh::net {

struct HeaderField {
  uint32_t name_off, name_len, value_off, value_len;
};

// A parsed message head. Views point into the reader's block: valid during on_head only.
struct Http1Head {
  bool request = true;
  uint8_t method = 0;  // llhttp_method_t
  std::string_view method_name;
  std::string_view url;
  int status = 0;
  uint8_t http_major = 1, http_minor = 1;
  bool keep_alive = true;
  bool chunked = false;
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool upgrade = false;
  const char* base = nullptr;
  const HeaderField* fields = nullptr;
  uint32_t count = 0;

  std::string_view name(uint32_t i) const { return {base + fields[i].name_off, fields[i].name_len}; }
  std::string_view value(uint32_t i) const { return {base + fields[i].value_off, fields[i].value_len}; }
  // First value of a header, by case-insensitive name ("" when absent).
  std::string_view find(std::string_view lower_name, bool* present = nullptr) const;
};

bool iequals(std::string_view a, std::string_view lower);

class Http1Handler {
 public:
  // Return 0 to continue, 1 when the message has no body whatever its headers
  // say (a response to HEAD), -1 to fail parsing.
  virtual int on_head(const Http1Head& head) = 0;
  virtual void on_body(const char* data, size_t len) = 0;
  virtual void on_message_complete() = 0;

 protected:
  ~Http1Handler() = default;
};

enum class ParseStatus {
  kNeedMore,     // everything parsed, waiting for bytes
  kMessageDone,  // a message completed; parsing is paused until resume()
  kUpgrade,      // a message asked to switch protocols; bytes after it are raw
  kError,        // see error_status()/error_reason()
};

class Http1Reader {
 public:
  enum class Kind { kRequest, kResponse };
  static constexpr uint32_t kMaxHeaders = 128;
  static constexpr uint32_t kDataCapacity = BufferPool::kBlockSize - kMaxHeaders * sizeof(HeaderField);
  static constexpr uint32_t kMaxHeadBytes = 60 * 1024;

  Http1Reader(Kind kind, BufferPool& pool, Http1Handler& handler);
  ~Http1Reader() { release(); }
  Http1Reader(const Http1Reader&) = delete;
  Http1Reader& operator=(const Http1Reader&) = delete;

  // For the alloc callback: free space at the end of the block (len 0 when full).
  uv_buf_t alloc();
  // `n` bytes were read into the last alloc()'d space.
  ParseStatus on_data(size_t n);
  // A read delivered nothing: returns an unused block to the pool.
  void on_no_data();
  // Continues after kMessageDone with bytes already buffered.
  ParseStatus resume();
  // The peer closed: completes a close-delimited body. kError when mid-message.
  ParseStatus finish();
  // Parses the bytes in `data` as if read (tests, fuzzing).
  ParseStatus feed(std::string_view data);
  // Raw bytes left after an upgrade or a pause, not yet parsed.
  std::string_view unparsed() const;
  void consume_unparsed() { begin_ = end_; }
  void release();

  bool paused() const { return paused_; }
  bool mid_message() const { return in_message_; }
  bool holds_block() const { return block_ != nullptr; }
  int error_status() const { return error_status_; }
  const char* error_reason() const { return error_reason_; }

 private:
  friend struct Http1Callbacks;
  ParseStatus execute();
  void compact();
  int fail(int status, const char* reason);
  HeaderField* fields() { return reinterpret_cast<HeaderField*>(block_ + kDataCapacity); }
  uint32_t offset(const char* at) const { return static_cast<uint32_t>(at - block_); }

  llhttp_t parser_{};
  Kind kind_;
  BufferPool& pool_;
  Http1Handler& handler_;
  char* block_ = nullptr;
  uint32_t begin_ = 0, end_ = 0;  // unparsed bytes: [begin_, end_)
  uint32_t head_start_ = 0;
  uint32_t url_off_ = 0, url_len_ = 0;
  uint32_t count_ = 0;
  bool in_value_ = false;
  bool in_head_ = false;
  bool in_message_ = false;
  bool paused_ = false;
  bool upgraded_ = false;
  int error_status_ = 0;
  const char* error_reason_ = "";
};

}  // namespace mesh::net
