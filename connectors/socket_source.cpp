#include "connectors/socket_source.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sluice {

socket_source_options parse_host_port(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw std::invalid_argument("expected HOST:PORT, got '" + text + "'");
  auto port_text = text.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5 ||
      std::stoul(port_text) == 0 || std::stoul(port_text) > 65535)
    throw std::invalid_argument("bad port in '" + text + "'");
  socket_source_options o;
  o.host = text.substr(0, colon);
  if (o.host.size() >= 2 && o.host.front() == '[' && o.host.back() == ']')
    o.host = o.host.substr(1, o.host.size() - 2);
  o.port = static_cast<uint16_t>(std::stoul(port_text));
  return o;
}

socket_source::socket_source(socket_source_options opts) : opts_(std::move(opts)) {}

socket_source::~socket_source() {
  if (fd_ >= 0)
    ::close(fd_);
}

namespace {

/// Connects with a timeout; returns the fd or throws with the reason.
int connect_to(const socket_source_options& o) {
  auto where = o.host + ":" + std::to_string(o.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  auto port = std::to_string(o.port);
  if (int rc = ::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    throw std::runtime_error("cannot resolve " + where + ": " + gai_strerror(rc));
  std::string last_error = "no address";
  int fd = -1;
  for (auto* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
      break;
    if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int rc = ::poll(&p, 1, static_cast<int>(o.connect_timeout_ms));
      int err = 0;
      socklen_t len = sizeof err;
      if (rc == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
        break;
      last_error = rc == 0 ? "timed out" : std::strerror(err ? err : errno);
    } else {
      last_error = std::strerror(errno);
    }
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0)
    throw std::runtime_error("cannot connect to " + where + ": " + last_error);
  return fd;
}

}  // namespace

void socket_source::open(const task_context&) { fd_ = connect_to(opts_); }

poll_status socket_source::poll(emitter& out, uint32_t max_records) {
  if (eof_ || stop_requested_)
    return poll_status::finished;
  auto b = std::make_shared<batch<std::string>>();
  bool got = false;
  while (b->items.size() < max_records) {
    auto n = ::recv(fd_, buf_.data(), buf_.size(), 0);
    if (n > 0) {
      got = true;
      bytes_read_ += static_cast<uint64_t>(n);
      splitter_.feed(buf_.data(), static_cast<std::size_t>(n), b->items);
      continue;
    }
    if (n == 0) {  // peer closed: the stream ends
      splitter_.flush(b->items);
      eof_ = true;
      break;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      break;
    throw std::runtime_error("socket " + opts_.host + ":" + std::to_string(opts_.port) +
                             " failed: " + std::strerror(errno));
  }
  bool any = !b->items.empty();
  out.emit(std::move(b));
  if (eof_)
    return any ? poll_status::more : poll_status::finished;
  return got ? poll_status::more : poll_status::idle;
}

}  // namespace sluice
