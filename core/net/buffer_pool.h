// Per-worker pool of read blocks. A connection takes a block in its alloc callback
// and gives it back as soon as no unparsed bytes are left, so idle keep-alive
// connections hold no buffer. Single-threaded: one pool per loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mesh::net {

class BufferPool {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;

  explicit BufferPool(size_t max_idle = 256) : max_idle_(max_idle) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  char* acquire();
  void release(char* block);

  size_t in_use() const { return in_use_; }
  size_t idle() const { return free_.size(); }

 private:
  std::vector<char*> free_;
  size_t max_idle_;
  size_t in_use_ = 0;
};

}  // namespace mesh::net
