#include "core/net/buffer_pool.h"

#include <cstdlib>

namespace mesh::net {

BufferPool::~BufferPool() {
  for (char* b : free_) std::free(b);
}

char* BufferPool::acquire() {
  ++in_use_;
  if (!free_.empty()) {
    char* b = free_.back();
    free_.pop_back();
    return b;
  }
  return static_cast<char*>(std::malloc(kBlockSize));
}

void BufferPool::release(char* block) {
  if (block == nullptr) return;
  --in_use_;
  if (free_.size() < max_idle_) {
    free_.push_back(block);
  } else {
    std::free(block);
  }
}

}  // namespace mesh::net
