// TLS between nodes (--tls-cert/--tls-key/--tls-ca on every node): a worker whose certificate the
// coordinator's certificate authority did not sign cannot join, nor can a worker without TLS;
// both give up after --join-timeout-ms naming the coordinator they could not reach. A worker
// with a certificate of the right authority runs the job, exactly once. The certificates are
// made by the openssl command-line tool in a scratch directory.
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "tests/cluster/support.hpp"

using namespace sluice::cluster_test;
using namespace sluice::fault_test;
using namespace sluice::test;

namespace {

/// `name` found on PATH, or "" when it is not there.
std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string d; std::getline(dirs, d, ':');)
    if (!d.empty() && ::access((d + "/" + name).c_str(), X_OK) == 0)
      return d + "/" + name;
  return {};
}

/// A certificate authority and the certificates it signed, as PEM files in a scratch directory.
class certificates {
 public:
  explicit certificates(const temp_dir& dir) : dir_(dir), openssl_(on_path("openssl")) {
    if (openssl_.empty())
      throw std::runtime_error("the openssl command-line tool is not on PATH");
  }

  /// Makes the self-signed authority `ca` (files CA.pem, CA.key).
  void authority(const std::string& ca) {
    openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key(ca), "-out", pem(ca),
             "-days", "3650", "-subj", "/CN=" + ca});
  }

  /// Makes `node`'s key and certificate signed by authority `ca`.
  void signed_by(const std::string& node, const std::string& ca) {
    auto csr = dir_ / (node + ".csr");
    openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", key(node), "-out", csr, "-subj",
             "/CN=" + node});
    openssl({"x509", "-req", "-in", csr, "-CA", pem(ca), "-CAkey", key(ca), "-CAcreateserial",
             "-out", pem(node), "-days", "3650"});
  }

  /// The flags of a node with `node`'s certificate trusting authority `ca`.
  std::vector<std::string> flags(const std::string& node, const std::string& ca) const {
    return {"--tls-cert", pem(node), "--tls-key", key(node), "--tls-ca", pem(ca)};
  }

 private:
  std::string pem(const std::string& n) const { return dir_ / (n + ".pem"); }
  std::string key(const std::string& n) const { return dir_ / (n + ".key"); }
  void openssl(const std::vector<std::string>& args) {
    auto r = run(openssl_, args);
    if (!r.succeeded())
      throw std::runtime_error(launch{openssl_, args, {}, ""}.command_line() + ": " + r.describe());
  }

  const temp_dir& dir_;
  std::string openssl_;
};

/// A worker that could not join: exit 1 and the line naming the coordinator's address.
void expect_refused(background_process& w, uint16_t port, const std::string& which) {
  auto r = w.wait(run_guard);
  BOOST_TEST(r.exited, which << ": " << r.describe());
  BOOST_TEST(r.code != 0, which << " joined: " << r.describe());
  BOOST_TEST(lines_containing(r.err, "error: cannot reach the coordinator at 127.0.0.1:" +
                                         std::to_string(port) + " within --join-timeout-ms")
                     .size() == 1u,
             which << ": " << r.err);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_between_nodes)

BOOST_AUTO_TEST_CASE(only_a_worker_certified_by_the_coordinators_authority_can_join) {
  temp_dir dir;
  certificates certs{dir};
  certs.authority("sluice-ca");
  certs.authority("rogue-ca");
  certs.signed_by("coordinator", "sluice-ca");
  certs.signed_by("worker", "sluice-ca");
  certs.signed_by("rogue", "rogue-ca");

  ledger_job job{shared_ledger(ledger_lines / 10), dir, ledger_job_options{}};
  cluster_options o;
  o.workers = 1;
  cluster c{job.next_run(), o};
  c.start_coordinator(certs.flags("coordinator", "sluice-ca"));
  BOOST_TEST(c.coordinator().err().find("(TLS)") != std::string::npos, c.coordinator().err());

  // It trusts the coordinator's authority; the coordinator does not trust its.
  auto rogue = certs.flags("rogue", "sluice-ca");
  rogue.insert(rogue.end(), {"--join-timeout-ms", "2000"});
  expect_refused(c.start_worker(rogue), c.port(), "a worker certified by another authority");
  expect_refused(c.start_worker({"--join-timeout-ms", "2000"}), c.port(), "a worker without TLS");
  BOOST_TEST(lines_containing(c.coordinator().err(), " joined with ").empty(),
             c.coordinator().err());

  c.start_worker(certs.flags("worker", "sluice-ca"));
  auto r = c.wait_all(run_guard);
  BOOST_TEST_REQUIRE(r.coordinator.succeeded(), r.describe());
  BOOST_TEST_REQUIRE(r.workers[2].succeeded(), r.describe());
  expect_exactly_once(job, "over TLS\n" + r.commands);
}

BOOST_AUTO_TEST_SUITE_END()
