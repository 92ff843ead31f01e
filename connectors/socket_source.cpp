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

void socket_source::open(const task_context& ctx) {
  if (ctx.checkpointing) {
    wal_dir_ = ctx.checkpoint_dir + "/wal/" + ctx.uid + "-" + std::to_string(ctx.subtask);
    checkpoints::wal_options o;
    o.dir = wal_dir_;
    o.segment_bytes = 8ull << 20;
    wal_ = std::make_unique<checkpoints::wal_writer>(o);
    wal_->open();
    next_ = wal_->end();  // a fresh run (no restore) starts after whatever the log holds
    retained_ = ctx.checkpoints_retained;
  }
  fd_ = connect_to(opts_);
}

void socket_source::snapshot_state(operator_snapshot& snap) {
  if (!wal_)
    return;
  snap.set_operator_state(std::to_string(next_));
  snap.description = "{\"wal\": \"" + wal_dir_ + "\", \"position\": " + std::to_string(next_) + "}";
  recorded_.emplace_back(snap.checkpoint_id, next_);
}

void socket_source::restore_state(const operator_restore& r) {
  if (!wal_ || !r.operator_state)
    return;
  next_ = std::stoull(*r.operator_state);
  if (next_ > wal_->end())
    throw std::runtime_error("the write-ahead log in '" + wal_dir_ + "' ends before position " +
                             std::to_string(next_) + " recorded by the checkpoint");
}

void socket_source::checkpoint_complete(uint64_t id, bool) {
  if (!wal_)
    return;
  // The oldest retained checkpoint bounds what replay may still need.
  completed_.push_back(id);
  while (completed_.size() > retained_)
    completed_.pop_front();
  while (!recorded_.empty() && recorded_.front().first < completed_.front())
    recorded_.pop_front();
  if (!recorded_.empty() && recorded_.front().first == completed_.front())
    wal_->truncate_before(recorded_.front().second);
}

std::vector<std::string> socket_source::receive(uint32_t max_records, bool& got) {
  std::vector<std::string> lines;
  while (lines.size() < max_records) {
    auto n = ::recv(fd_, buf_.data(), buf_.size(), 0);
    if (n > 0) {
      got = true;
      bytes_read_ += static_cast<uint64_t>(n);
      splitter_.feed(buf_.data(), static_cast<std::size_t>(n), lines);
      continue;
    }
    if (n == 0) {  // peer closed: the stream ends
      splitter_.flush(lines);
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
  return lines;
}

poll_status socket_source::poll(emitter& out, uint32_t max_records) {
  auto b = std::make_shared<batch<std::string>>();
  bool got = false;
  if (wal_) {
    // Log first, emit from the log: what was received before a crash is replayed from there.
    if (next_ == wal_->end() && !eof_ && !stop_requested_) {
      auto lines = receive(max_records, got);
      if (!lines.empty()) {
        wal_->append(lines);
        wal_->sync();
      }
    }
    if (next_ < wal_->end()) {
      if (!reader_)
        reader_ = std::make_unique<checkpoints::wal_reader>(wal_dir_);
      b->items = reader_->read(next_, max_records);
      next_ += b->items.size();
      got = true;
    }
  } else if (!eof_ && !stop_requested_) {
    b->items = receive(max_records, got);
  }
  bool any = !b->items.empty();
  out.emit(std::move(b));
  bool drained = !wal_ || next_ == wal_->end();
  if ((eof_ || stop_requested_) && drained)
    return any ? poll_status::more : poll_status::finished;
  return got || any ? poll_status::more : poll_status::idle;
}

}  // namespace sluice
