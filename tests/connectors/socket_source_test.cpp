#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "connectors/socket_source.hpp"
#include "tests/connectors/local_server.hpp"
#include "tests/connectors/support.hpp"

using namespace sluice;
using lines = std::vector<std::string>;

namespace {

/// Polls until the source finishes; sleeps briefly when it is idle. Bounded, not timed.
poll_status poll_until_finished(socket_source& src, test::recording_emitter<std::string>& out) {
  poll_status st = poll_status::more;
  for (int i = 0; i < 20000 && st != poll_status::finished; ++i) {
    st = src.poll(out, 1024);
    if (st == poll_status::idle)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return st;
}

socket_source connect_to(const test::local_server& server) {
  return socket_source{parse_host_port(server.address())};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(socket_source_tests)

BOOST_AUTO_TEST_CASE(the_source_yields_exactly_the_lines_the_server_sent_then_finishes) {
  std::string payload = "first\r\n\nthird has  spaces\n";
  payload += std::string(200000, 'L') + "\n";  // longer than one receive buffer
  payload += std::string("\xff\xfe\x00" "bytes\n", 9);
  payload += "unterminated last line";
  test::local_server server{[&](int fd) {
    // Pieces of odd sizes, so lines and CRLFs are cut between receives.
    test::rng r{3};
    for (std::size_t i = 0; i < payload.size();) {
      auto n = std::min<std::size_t>(r.between(1, 5000), payload.size() - i);
      if (!test::send_all(fd, std::string_view(payload).substr(i, n)))
        return;
      i += n;
    }
  }};
  auto src = connect_to(server);
  src.open(test::subtask_context(0, 1));
  test::recording_emitter<std::string> out;
  BOOST_TEST(poll_until_finished(src, out) == poll_status::finished);
  BOOST_TEST(out.records == test::expected_lines(payload), boost::test_tools::per_element());
  BOOST_TEST(src.bytes_read() == payload.size());
  auto before = out.records.size();
  BOOST_TEST(src.poll(out, 1024) == poll_status::finished, "finished stays finished");
  BOOST_TEST(out.records.size() == before);
}

BOOST_AUTO_TEST_CASE(a_server_that_closes_at_once_gives_no_lines_and_finishes) {
  test::local_server server{[](int) {}};
  auto src = connect_to(server);
  src.open(test::subtask_context(0, 1));
  test::recording_emitter<std::string> out;
  BOOST_TEST(poll_until_finished(src, out) == poll_status::finished);
  BOOST_TEST(out.records.empty());
}

BOOST_AUTO_TEST_CASE(a_quiet_peer_makes_poll_report_idle_instead_of_blocking) {
  std::promise<void> go;
  auto go_signal = go.get_future();
  test::local_server server{[&](int fd) {
    go_signal.wait();
    test::send_all(fd, "late\n");
  }};
  auto src = connect_to(server);
  src.open(test::subtask_context(0, 1));
  test::recording_emitter<std::string> out;
  BOOST_TEST(src.poll(out, 1024) == poll_status::idle);
  BOOST_TEST(out.records.empty());
  go.set_value();
  BOOST_TEST(poll_until_finished(src, out) == poll_status::finished);
  BOOST_TEST(out.records == (lines{"late"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_stopped_source_finishes_while_the_peer_is_still_open) {
  std::promise<void> done;
  auto done_signal = done.get_future();
  test::local_server server{[&](int fd) {
    test::send_all(fd, "one\n");
    done_signal.wait();
  }};
  auto src = connect_to(server);
  src.open(test::subtask_context(0, 1));
  test::recording_emitter<std::string> out;
  for (int i = 0; i < 20000 && out.records.empty(); ++i)
    if (src.poll(out, 1024) == poll_status::idle)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  BOOST_TEST(out.records == (lines{"one"}), boost::test_tools::per_element());
  src.request_stop();
  BOOST_TEST(src.poll(out, 1024) == poll_status::finished);
  done.set_value();
}

BOOST_AUTO_TEST_CASE(connecting_to_a_closed_port_throws_naming_host_and_port) {
  test::bound_socket closed{false};  // bound, not listening: connections are refused
  socket_source src{parse_host_port(closed.address())};
  try {
    src.open(test::subtask_context(0, 1));
    BOOST_FAIL("connecting to a closed port did not throw");
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    auto prefix = "cannot connect to " + closed.address() + ": ";
    BOOST_TEST(msg.rfind(prefix, 0) == 0u, msg);
    BOOST_TEST(msg.size() > prefix.size(), "the reason follows: " << msg);
    BOOST_TEST(msg.find('\n') == std::string::npos, msg);
  }
}

BOOST_AUTO_TEST_CASE(host_port_text_is_parsed_or_rejected_with_the_text_named) {
  auto o = parse_host_port("localhost:8080");
  BOOST_TEST(o.host == "localhost");
  BOOST_TEST(o.port == 8080);
  o = parse_host_port("[::1]:65535");
  BOOST_TEST(o.host == "::1");
  BOOST_TEST(o.port == 65535);
  for (std::string bad : {"nohost", "host:", ":80", "host:0", "host:65536", "host:99999999999",
                          "host:8o", "host:-1", ""}) {
    try {
      parse_host_port(bad);
      BOOST_ERROR("'" << bad << "' was accepted");
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string{e.what()}.find("'" + bad + "'") != std::string::npos, e.what());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
