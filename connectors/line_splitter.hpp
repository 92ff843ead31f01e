// Cuts a byte stream into lines: '\n' ends a line, a trailing '\r' is dropped, bytes are kept as
// they are (no UTF-8 validation: invalid sequences pass through untouched). A line longer than
// any buffer simply grows the pending buffer. Not thread-safe.
#pragma once

#include <cstring>
#include <string>
#include <vector>

namespace sluice {

class line_splitter {
 public:
  /// Appends the complete lines of [data, data+len) to `out`; keeps the unterminated rest.
  void feed(const char* data, std::size_t len, std::vector<std::string>& out) {
    const char* end = data + len;
    while (data < end) {
      auto* nl = static_cast<const char*>(std::memchr(data, '\n', static_cast<std::size_t>(end - data)));
      if (!nl) {
        pending_.append(data, end);
        return;
      }
      if (pending_.empty()) {
        out.emplace_back(data, trim_cr(data, nl));
      } else {
        pending_.append(data, nl);
        if (!pending_.empty() && pending_.back() == '\r')
          pending_.pop_back();
        out.push_back(std::move(pending_));
        pending_.clear();
      }
      data = nl + 1;
    }
  }
  /// At end of input: the unterminated last line, if any.
  bool flush(std::vector<std::string>& out) {
    if (pending_.empty())
      return false;
    if (pending_.back() == '\r')
      pending_.pop_back();
    out.push_back(std::move(pending_));
    pending_.clear();
    return true;
  }
  std::size_t pending_bytes() const { return pending_.size(); }

 private:
  static const char* trim_cr(const char* b, const char* nl) {
    return (nl > b && nl[-1] == '\r') ? nl - 1 : nl;
  }
  std::string pending_;
};

}  // namespace sluice
