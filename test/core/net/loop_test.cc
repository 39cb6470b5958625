// Loop, listener, connect and the gathering writer over real loopback sockets.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "core/net/buffer_pool.h"
#include "core/net/loop.h"
#include "core/net/tcp.h"

using namespace mesh::net;

TEST_CASE("post runs work on the loop thread, from another thread") {
  Loop loop;
  int ran = 0;
  std::thread other([&] {
    loop.post([&] {
      ++ran;
      loop.stop();
    });
  });
  loop.run();
  other.join();
  CHECK(ran == 1);
  CHECK(loop.close() == 0);
}

TEST_CASE("parse_host_port") {
  std::string h;
  uint16_t p = 0;
  CHECK(parse_host_port("127.0.0.1:8080", h, p));
  CHECK(h == "127.0.0.1");
  CHECK(p == 8080);
  CHECK(parse_host_port("[::1]:80", h, p));
  CHECK(h == "::1");
  CHECK_FALSE(parse_host_port("nocolon", h, p));
  CHECK_FALSE(parse_host_port("a:99999", h, p));
  CHECK_FALSE(parse_host_port(":80", h, p));
}

namespace {

// An echo pair: the server writes back whatever it reads through a Writer.
struct Echo {
  Loop loop;
  BufferPool pool;
  uv_tcp_t listener{}, server{}, client{};
  uv_connect_t connect{};
  Writer server_writer{reinterpret_cast<uv_stream_t*>(&server), this, [](void*, int) {}};
  Writer client_writer{reinterpret_cast<uv_stream_t*>(&client), this, [](void*, int) {}};
  std::string received;
  char* block = nullptr;
  size_t expect = 0;
};

void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* e = static_cast<Echo*>(h->data);
  if (e->block == nullptr) e->block = e->pool.acquire();
  *buf = uv_buf_init(e->block, BufferPool::kBlockSize);
}

void on_server_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
  auto* e = static_cast<Echo*>(s->data);
  if (n > 0) e->server_writer.write(std::string_view(e->block, static_cast<size_t>(n)));
  e->pool.release(e->block);
  e->block = nullptr;
}

void on_client_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
  auto* e = static_cast<Echo*>(s->data);
  if (n > 0) e->received.append(e->block, static_cast<size_t>(n));
  e->pool.release(e->block);
  e->block = nullptr;
  if (e->received.size() >= e->expect) {
    for (uv_tcp_t* t : {&e->listener, &e->server, &e->client})
      close_handle(reinterpret_cast<uv_handle_t*>(t), nullptr);
    e->loop.stop();
  }
}

}  // namespace

TEST_CASE("listen with SO_REUSEPORT, connect, gathered writes echoed back") {
  Echo e;
  sockaddr_storage addr{};
  REQUIRE(make_address("127.0.0.1", 0, addr) == 0);
  e.listener.data = &e;
  REQUIRE(tcp_listen(e.loop.get(), &e.listener, reinterpret_cast<sockaddr*>(&addr), true, 16,
                     [](uv_stream_t* l, int) {
                       auto* e = static_cast<Echo*>(l->data);
                       uv_tcp_init(l->loop, &e->server);
                       e->server.data = e;
                       REQUIRE(uv_accept(l, reinterpret_cast<uv_stream_t*>(&e->server)) == 0);
                       uv_read_start(reinterpret_cast<uv_stream_t*>(&e->server), on_alloc, on_server_read);
                     }) == 0);
  uint16_t port = bound_port(&e.listener);
  REQUIRE(port != 0);
  REQUIRE(make_address("127.0.0.1", port, addr) == 0);
  uv_tcp_init(e.loop.get(), &e.client);
  e.client.data = &e;
  e.connect.data = &e;
  // 3 MiB in three buffers: more than the kernel takes at once, so the writer queues.
  std::string a(1 << 20, 'a'), b(1 << 20, 'b'), c(1 << 20, 'c');
  e.expect = a.size() * 3;
  uv_tcp_connect(&e.connect, &e.client, reinterpret_cast<sockaddr*>(&addr),
                 [](uv_connect_t* req, int status) {
                   auto* e = static_cast<Echo*>(req->data);
                   REQUIRE(status == 0);
                   uv_read_start(reinterpret_cast<uv_stream_t*>(&e->client), on_alloc, on_client_read);
                 });
  uv_buf_t bufs[3] = {uv_buf_init(a.data(), a.size()), uv_buf_init(b.data(), b.size()),
                      uv_buf_init(c.data(), c.size())};
  // Writing before the connection completes queues everything.
  CHECK(e.client_writer.write(bufs, 3));
  CHECK(e.client_writer.queued() == e.expect);
  e.loop.run();
  CHECK(e.received == a + b + c);
  CHECK(e.client_writer.idle());
  CHECK(e.loop.close() == 0);
}
