#include "tests/cluster/background_process.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

namespace sluice::cluster_test {

namespace {

std::string read_if_there(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

background_process::background_process(test::launch l) : launch_(std::move(l)) {
  if (launch_.log_prefix.empty())
    throw std::invalid_argument("background_process: launch::log_prefix must be set for " +
                                launch_.binary);
  pid_ = test::child_process_detail::start(launch_, launch_.log_prefix + ".stdout",
                                           launch_.log_prefix + ".stderr");
  started_ = std::chrono::steady_clock::now();
}

background_process::~background_process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void background_process::reaped(int status) {
  test::run_result r;
  r.ran = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                started_);
  r.exited = WIFEXITED(status);
  r.code = r.exited ? WEXITSTATUS(status) : -1;
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  result_ = std::move(r);
}

bool background_process::running() {
  if (result_)
    return false;
  int status = 0;
  pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    reaped(status);
    return false;
  }
  if (done < 0 && errno != EINTR)
    throw std::runtime_error(std::string{"waitpid failed: "} + std::strerror(errno));
  return true;
}

std::string background_process::err() const {
  return read_if_there(launch_.log_prefix + ".stderr");
}

bool background_process::wait_until(const std::function<bool()>& condition,
                                    std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition())
      return true;
    if (!running())
      return condition();  // it may have said so just before it ended
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool background_process::wait_for_err(const std::string& needle, std::chrono::milliseconds limit) {
  return wait_until([&] { return err().find(needle) != std::string::npos; }, limit);
}

void background_process::stop() {
  if (running())
    ::kill(pid_, SIGSTOP);
}

void background_process::resume() {
  if (running())
    ::kill(pid_, SIGCONT);
}

void background_process::kill() {
  if (!running())
    return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped(status);
  // It may have ended on its own between the last poll and the kill.
  result_->killed_by_test = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

test::run_result background_process::wait(std::chrono::seconds limit) {
  if (!wait_until([] { return false; }, limit) && running()) {
    kill();
    result_->killed_by_test = false;
    result_->hung = true;
  }
  result_->out = read_if_there(launch_.log_prefix + ".stdout");
  result_->err = err();
  return *result_;
}

}  // namespace sluice::cluster_test
