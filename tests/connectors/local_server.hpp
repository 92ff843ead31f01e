// A TCP server on 127.0.0.1 with an ephemeral port, for tests of socket input: it accepts one
// connection on a background thread and runs the test's conversation on it. Also a port that is
// bound but not listening, so connecting to it is refused.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace sluice::test {

/// A socket bound to 127.0.0.1 on a port the kernel picks; `listening` decides whether it
/// accepts connections. The port stays reserved for the object's lifetime.
class bound_socket {
 public:
  explicit bound_socket(bool listening) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      throw std::runtime_error(std::string{"socket: "} + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error(std::string{"bind: "} + std::strerror(errno));
    if (listening && ::listen(fd_, 4) != 0)
      throw std::runtime_error(std::string{"listen: "} + std::strerror(errno));
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~bound_socket() { ::close(fd_); }
  bound_socket(const bound_socket&) = delete;
  bound_socket& operator=(const bound_socket&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

/// Writes all of `bytes` to `fd`; false when the peer went away.
inline bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Accepts one connection, runs `talk(fd)` on it, then closes it (the client sees end of
/// stream). If no client ever connects, the destructor ends the wait.
class local_server {
 public:
  explicit local_server(std::function<void(int)> talk) : sock_(true) {
    thread_ = std::thread([this, talk = std::move(talk)] {
      while (!stop_) {
        pollfd p{sock_.fd(), POLLIN, 0};
        if (::poll(&p, 1, 20) != 1)
          continue;
        int c = ::accept4(sock_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0)
          continue;
        talk(c);
        ::close(c);
        accepted_ = true;
        return;
      }
    });
  }
  ~local_server() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }
  local_server(const local_server&) = delete;
  local_server& operator=(const local_server&) = delete;

  uint16_t port() const { return sock_.port(); }
  std::string address() const { return sock_.address(); }
  /// Waits until the conversation ended (the connection is closed).
  void wait() {
    if (thread_.joinable())
      thread_.join();
    stop_ = true;
  }
  bool served() const { return accepted_; }

 private:
  bound_socket sock_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> accepted_{false};
  std::thread thread_;
};

}  // namespace sluice::test
